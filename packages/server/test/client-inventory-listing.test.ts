/**
 * The client inventory's listing (issue #14): filters, sorts and cursor pages, the scan budget, and
 * AT Protocol loopback clients as one entry.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type InventoryFilter, SCAN_BUDGET } from '../src/index.ts';
import {
  DAY,
  HOUR,
  INSTALLATION_A,
  inventoryServer,
  OTHER_CLIENT,
  SUBDOMAIN_CLIENT,
} from './support/client-inventory.ts';
import { CIMD_URL } from './support/stub-documents.ts';

describe('inventory: listing', () => {
  async function listed(
    inventory: Awaited<ReturnType<typeof inventoryServer>>['inventory'],
    filter: InventoryFilter,
  ) {
    return (await inventory.list(filter)).entries.map((entry) => entry.clientId);
  }

  it('lists every client with its state and tier; filters by kind, state, tier, domain, owner, label and idle days', async () => {
    const { t, use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    await use('alice', SUBDOMAIN_CLIENT, 'https://eu.client.example.test/cb');
    await t.server.governance.block('domain:example.net', { actor: 'test' });
    await t.server.governance.approve('public-app', { actor: 'test', tier: 'local' });
    const all = (await inventory.list()).entries;
    assert.deepEqual(
      all.map((entry) => [entry.clientId, entry.kind, entry.state, entry.tier]),
      [
        ['basic-app', 'static', 'approved', 'trusted'],
        [CIMD_URL, 'cimd', 'approved', 'verified-domain'],
        [SUBDOMAIN_CLIENT, 'cimd', 'approved', 'verified-domain'],
        [OTHER_CLIENT, 'cimd', 'blocked', 'verified-domain'],
        ['post-app', 'static', 'approved', 'trusted'],
        ['public-app', 'static', 'approved', 'local'],
      ],
    );
    assert.deepEqual(await listed(inventory, { kind: 'static' }), ['basic-app', 'post-app', 'public-app']);
    assert.deepEqual(await listed(inventory, { state: 'blocked' }), [OTHER_CLIENT]);
    assert.deepEqual(await listed(inventory, { tier: 'local' }), ['public-app']);
    assert.deepEqual(await listed(inventory, { tier: 'trusted' }), ['basic-app', 'post-app']);
    assert.deepEqual(await listed(inventory, { state: 'approved', kind: 'cimd' }), [
      CIMD_URL,
      SUBDOMAIN_CLIENT,
    ]);
    assert.deepEqual(await listed(inventory, { domain: 'client.example.test' }), [
      CIMD_URL,
      SUBDOMAIN_CLIENT,
    ]);
    await inventory.setOperatorFields(CIMD_URL, { owner: 'payments', labels: ['pci'] }, { actor: 'test' });
    assert.deepEqual(await listed(inventory, { owner: 'payments' }), [CIMD_URL]);
    assert.deepEqual(await listed(inventory, { label: 'pci' }), [CIMD_URL]);
    // Idle: not seen for N days; never seen counts from when the client was recorded.
    t.advance(10 * DAY);
    await use('alice', CIMD_URL, INSTALLATION_A);
    assert.deepEqual(await listed(inventory, { idleDays: 5, kind: 'cimd' }), [
      SUBDOMAIN_CLIENT,
      OTHER_CLIENT,
    ]);
    assert.deepEqual(await listed(inventory, { seenSince: t.now() - DAY }), [CIMD_URL]);
    for (const [filter, reason] of [
      [{ state: 'held' }, 'invalid_inventory_query'],
      [{ kind: 'robot' }, 'invalid_inventory_query'],
      [{ limit: 0 }, 'invalid_inventory_query'],
      [{ sort: 'name' }, 'invalid_inventory_query'],
      [{ cursor: 'not-a-cursor' }, 'invalid_inventory_query'],
    ] as const) {
      await assert.rejects(inventory.list(filter as InventoryFilter), { reason }, JSON.stringify(filter));
    }
  });

  it('pages with a cursor in every sort, and a cursor of one sort is refused by another', async () => {
    const { t, use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    t.advance(HOUR);
    await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    for (const sort of ['client_id', 'created', 'last_seen'] as const) {
      const whole = await listed(inventory, { sort });
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await inventory.list({ sort, limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        paged.push(...page.entries.map((entry) => entry.clientId));
        cursor = page.next;
      } while (cursor !== undefined);
      assert.deepEqual(paged, whole, sort);
      assert.equal(whole.length, 5);
    }
    assert.deepEqual((await listed(inventory, { sort: 'last_seen' })).slice(0, 2), [OTHER_CLIENT, CIMD_URL]);
    const first = await inventory.list({ sort: 'created', limit: 1 });
    await assert.rejects(inventory.list({ sort: 'client_id', cursor: first.next! }), {
      reason: 'invalid_inventory_query',
    });
  });

  it('a state filter that selects few of many stops at the scan budget with a cursor, and goes on from it', async () => {
    const { t, inventory } = await inventoryServer();
    for (let index = 0; index < SCAN_BUDGET + 10; index++)
      await t.store.clients.put({
        clientId: `dcr-${String(index).padStart(5, '0')}`,
        kind: 'dcr',
        metadata: {
          client_id: `dcr-${index}`,
          redirect_uris: ['https://agent.example/cb'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
        createdAt: t.now(),
        updatedAt: t.now(),
      });
    await t.server.governance.block('kind:dcr', { actor: 'test' });
    // Open mode: approved is what no rule decides, so every client is a candidate and each is decided.
    const first = await inventory.list({ state: 'approved', limit: 10 });
    assert.deepEqual(
      first.entries.map((entry) => entry.clientId),
      ['basic-app'],
    );
    assert.ok(first.next !== undefined, 'a short page with a cursor, not the whole table');
    const second = await inventory.list({ state: 'approved', limit: 10, cursor: first.next });
    assert.deepEqual(
      second.entries.map((entry) => entry.clientId),
      ['post-app', 'public-app'],
    );
    assert.equal(second.next, undefined);
    // The blocked ones are found by their rule, without scanning the others.
    assert.equal((await inventory.list({ state: 'blocked', limit: 1000 })).entries.length, 1000);
  });

  it('shows every AT Protocol loopback client as one entry, once seen', async () => {
    const { t, inventory } = await inventoryServer();
    assert.equal((await inventory.list({ kind: 'loopback' })).entries.length, 0);
    await t.store.inventory.recordActivity('http://localhost', 'authorization', t.now());
    await t.store.grants.upsert({
      id: 'g-loopback',
      userId: 'user-alice',
      clientId: 'http://localhost?scope=atproto',
      redirectUri: 'http://127.0.0.1/',
      scope: ['atproto'],
      resources: [],
      now: t.now(),
    });
    const [entry] = (await inventory.list({ kind: 'loopback' })).entries;
    assert.deepEqual([entry?.clientId, entry?.kind, entry?.tier], ['http://localhost', 'loopback', 'local']);
    assert.ok((await listed(inventory, {})).includes('http://localhost'));
    assert.deepEqual(await listed(inventory, { domain: 'localhost' }), []);
    assert.equal((await inventory.show('http://localhost'))?.reach.usersWithLiveGrants, 1);
    assert.equal((await inventory.connections.ofClient('http://localhost')).connections.length, 1);
  });
});
