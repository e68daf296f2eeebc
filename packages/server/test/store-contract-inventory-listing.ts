/**
 * The store contract suite, inventory part (issue #14, src/store/client-inventory-store.ts): the
 * listing and its filters, sorts and cursor pages. Registered by describeInventoryStoreContract
 * (./store-contract-inventory.ts) inside its describe, which opens a fresh, empty store per test;
 * explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { InventoryCandidates, Store } from '../src/store/store.ts';
import {
  cimd,
  DAY,
  fields,
  HOUR,
  type InventoryContractHarness,
  registered,
  T,
} from './support/inventory-contract.ts';

export function describeInventoryListingContract(harness: InventoryContractHarness): void {
  const { ids, fleet } = harness;
  describe('list and its filters', () => {
    let store: Store;
    beforeEach(() => {
      store = harness.store();
    });
    it('lists stored clients by client_id, paged by a cursor and a limit', async () => {
      await fleet();
      const all = await ids();
      assert.deepEqual(all, [
        'dcr-1',
        'https://app.example.com/client.json',
        'https://other.example.org/c.json',
        'static-1',
      ]);
      assert.deepEqual(await ids({ limit: 2 }), all.slice(0, 2));
      assert.deepEqual(await ids({ after: { key: all[1]!, clientId: all[1]! } }), all.slice(2));
      assert.deepEqual(await ids({ after: { key: 'static-1', clientId: 'static-1' } }), []);
    });

    it('a row carries the record as stored, and no operator fields or activity when there are none', async () => {
      const record = cimd('https://app.example.com/client.json');
      await store.clients.put(record);
      const [row] = await store.inventory.list({ sort: 'client_id', limit: 10 });
      assert.deepEqual(row, { record });
    });

    it('filters by kind', async () => {
      await fleet();
      assert.deepEqual(await ids({ kinds: ['dcr', 'static'] }), ['dcr-1', 'static-1']);
      assert.deepEqual(await ids({ kinds: ['cimd'] }), [
        'https://app.example.com/client.json',
        'https://other.example.org/c.json',
      ]);
      assert.deepEqual(await ids({ kinds: [] }), []);
    });

    it('filters by domain: a CIMD client by its client_id host, a registered client by its redirect hosts, parents included', async () => {
      await fleet();
      assert.deepEqual(await ids({ domain: 'example.com' }), [
        'dcr-1',
        'https://app.example.com/client.json',
      ]);
      assert.deepEqual(await ids({ domain: 'app.example.com' }), ['https://app.example.com/client.json']);
      assert.deepEqual(await ids({ domain: 'tenant.example.com' }), ['dcr-1']);
      assert.deepEqual(await ids({ domain: 'com' }), ['dcr-1', 'https://app.example.com/client.json']);
      assert.deepEqual(await ids({ domain: 'xample.com' }), [], 'a label, not a suffix of characters');
      // An IP address is only itself.
      assert.deepEqual(await ids({ domain: '192.0.2.7' }), ['dcr-1']);
      assert.deepEqual(await ids({ domain: '2.7' }), []);
      // A CIMD client's redirect hosts do not make it the host's.
      await store.clients.put(
        cimd('https://third.example.net/c.json', {}, ['https://elsewhere.example.com/cb']),
      );
      assert.deepEqual(await ids({ domain: 'elsewhere.example.com' }), []);
    });

    it('filters by software_id, owner, label', async () => {
      await fleet();
      assert.deepEqual(await ids({ softwareId: 'sw-a' }), ['dcr-1', 'https://app.example.com/client.json']);
      await store.inventory.putOperatorFields(fields('dcr-1', { owner: 'ops', labels: ['pci', 'beta'] }));
      await store.inventory.putOperatorFields(fields('static-1', { owner: 'Ops', labels: ['beta'] }));
      assert.deepEqual(await ids({ owner: 'ops' }), ['dcr-1']);
      assert.deepEqual(await ids({ label: 'beta' }), ['dcr-1', 'static-1']);
      assert.deepEqual(await ids({ label: 'pci', owner: 'Ops' }), []);
    });

    it('filters by last seen: the activity, else the record lastUsedAt; idle counts from creation when never seen', async () => {
      await store.clients.put(registered('seen-old', 'dcr', [], undefined, { createdAt: T - 100 * DAY }));
      await store.clients.put(registered('seen-new', 'dcr', [], undefined, { createdAt: T - 100 * DAY }));
      await store.clients.put(
        registered('touched', 'dcr', [], undefined, { createdAt: T - 100 * DAY, lastUsedAt: T - 2 * DAY }),
      );
      await store.clients.put(registered('never-old', 'static', [], undefined, { createdAt: T - 40 * DAY }));
      await store.clients.put(registered('never-new', 'static', [], undefined, { createdAt: T - DAY }));
      await store.inventory.recordActivity('seen-old', 'token', T - 50 * DAY);
      await store.inventory.recordActivity('seen-new', 'authorization', T - HOUR);
      assert.deepEqual(await ids({ idleBefore: T - 30 * DAY }), ['never-old', 'seen-old']);
      assert.deepEqual(await ids({ idleBefore: T - 30 * DAY, kinds: ['dcr'] }), ['seen-old']);
      assert.deepEqual(await ids({ seenSince: T - 3 * DAY }), ['seen-new', 'touched']);
      assert.deepEqual(await ids({ seenSince: T }), []);
    });

    it('sorts by creation (oldest first) and by last seen (newest first, never seen last), client_id breaking ties', async () => {
      await store.clients.put(registered('b', 'static', [], undefined, { createdAt: T + 2 }));
      await store.clients.put(registered('a', 'static', [], undefined, { createdAt: T + 2 }));
      await store.clients.put(registered('c', 'static', [], undefined, { createdAt: T + 1 }));
      await store.clients.put(registered('d', 'dcr', [], undefined, { createdAt: T, lastUsedAt: T + 5 }));
      await store.inventory.recordActivity('a', 'token', T + 9);
      await store.inventory.recordActivity('c', 'token', T + 9);
      assert.deepEqual(await ids({ sort: 'created' }), ['d', 'c', 'a', 'b']);
      assert.deepEqual(await ids({ sort: 'created', after: { key: T + 2, clientId: 'a' } }), ['b']);
      assert.deepEqual(await ids({ sort: 'last_seen' }), ['a', 'c', 'd', 'b']);
      assert.deepEqual(await ids({ sort: 'last_seen', limit: 2 }), ['a', 'c']);
      assert.deepEqual(await ids({ sort: 'last_seen', after: { key: T + 9, clientId: 'c' } }), ['d', 'b']);
      assert.deepEqual(await ids({ sort: 'last_seen', after: { key: T + 5, clientId: 'd' } }), ['b']);
    });

    it('candidate groups: any criterion of a group selects, and every group must', async () => {
      await fleet();
      const group = (given: Partial<InventoryCandidates>): InventoryCandidates => ({
        all: false,
        clientIds: [],
        kinds: [],
        terms: [],
        ...given,
      });
      assert.deepEqual(await ids({ candidates: [group({ all: true })] }), await ids());
      assert.deepEqual(await ids({ candidates: [group({})] }), []);
      assert.deepEqual(
        await ids({ candidates: [group({ clientIds: ['static-1', 'nobody'], kinds: ['dcr'] })] }),
        ['dcr-1', 'static-1'],
      );
      assert.deepEqual(await ids({ candidates: [group({ terms: [['local_only', '1']] })] }), ['static-1']);
      assert.deepEqual(
        await ids({ candidates: [group({ terms: [['redirect_host', 'cb.tenant.example.com']] })] }),
        ['dcr-1'],
      );
      assert.deepEqual(
        await ids({
          candidates: [
            group({ terms: [['domain', 'example.com']] }),
            group({ kinds: ['cimd'], terms: [['software_id', 'nothing']] }),
          ],
        }),
        ['https://app.example.com/client.json'],
      );
    });

    it('the index follows the record: a changed redirect, a removal, a reaped registration', async () => {
      await store.clients.put(
        registered('dcr-1', 'dcr', ['https://one.example/cb'], undefined, { createdAt: T }),
      );
      assert.deepEqual(await ids({ domain: 'one.example' }), ['dcr-1']);
      await store.clients.put(
        registered('dcr-1', 'dcr', ['https://two.example/cb'], undefined, { createdAt: T }),
      );
      assert.deepEqual(await ids({ domain: 'one.example' }), []);
      assert.deepEqual(await ids({ domain: 'two.example' }), ['dcr-1']);
      await store.clients.delete('dcr-1');
      assert.deepEqual(await ids({ domain: 'two.example' }), []);
      await store.clients.put(
        registered('dcr-2', 'dcr', ['https://two.example/cb'], undefined, { createdAt: T }),
      );
      const reaped = await store.clients.reapRegistrations({
        neverUsedCreatedBefore: T + 1,
        idleSince: T,
        limit: 10,
      });
      assert.deepEqual(reaped, ['dcr-2']);
      assert.deepEqual(await ids({ domain: 'two.example' }), []);
      await store.clients.put(registered('dcr-2', 'static', ['https://two.example/cb']));
      assert.deepEqual(await ids({ domain: 'two.example', kinds: ['static'] }), ['dcr-2']);
    });
  });
}
