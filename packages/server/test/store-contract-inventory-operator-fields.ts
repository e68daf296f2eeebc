/**
 * The store contract suite, inventory part (issue #14, src/store/client-inventory-store.ts): the
 * operator fields, set and cleared concurrently. Registered by describeInventoryStoreContract
 * (./store-contract-inventory.ts) inside its describe, which opens a fresh, empty store per test;
 * explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import {
  CONCURRENCY,
  fields,
  type InventoryContractHarness,
  registered,
  T,
} from './support/inventory-contract.ts';

export function describeInventoryOperatorFieldsContract(harness: InventoryContractHarness): void {
  const { openTwoHandles } = harness;
  describe('operator fields', () => {
    let store: Store;
    beforeEach(() => {
      store = harness.store();
    });
    it('put inserts, then wholly replaces (an absent field is gone) and returns what it replaced', async () => {
      const first = fields('c1', {
        owner: 'ops',
        team: 'payments',
        contact: 'ops@example.com',
        labels: ['a', 'b'],
        note: 'n',
      });
      assert.equal(await store.inventory.putOperatorFields(first), undefined);
      assert.deepEqual(await store.inventory.operatorFields('c1'), first);
      const second = fields('c1', { team: 'platform', updatedBy: 'admin-token:t1', updatedAt: T + 1 });
      assert.deepEqual(await store.inventory.putOperatorFields(second), first);
      const stored = await store.inventory.operatorFields('c1');
      assert.deepEqual(stored, second);
      for (const field of ['owner', 'contact', 'note'])
        assert.equal(field in stored!, false, `${field}: absent, not undefined`);
      assert.equal(await store.inventory.operatorFields('c2'), undefined);
    });

    it('delete returns the fields it deleted, then undefined', async () => {
      const put = fields('c1', { owner: 'ops' });
      await store.inventory.putOperatorFields(put);
      assert.deepEqual(await store.inventory.deleteOperatorFields('c1'), put);
      assert.equal(await store.inventory.deleteOperatorFields('c1'), undefined);
      assert.equal(await store.inventory.operatorFields('c1'), undefined);
    });

    it('a list row carries the fields of its client', async () => {
      await store.clients.put(registered('c1', 'static', []));
      const put = fields('c1', { owner: 'ops', labels: ['x'] });
      await store.inventory.putOperatorFields(put);
      const [row] = await store.inventory.list({ sort: 'client_id', limit: 1 });
      assert.deepEqual(row?.operator, put);
    });

    const racePuts = async (handles: readonly Store[]) => {
      const written = Array.from({ length: CONCURRENCY }, (_, index) =>
        fields('raced', {
          note: `writer ${index}`,
          ...(index % 2 === 0
            ? { owner: `owner ${index}`, labels: [`l${index}`] }
            : { team: `team ${index}` }),
          updatedAt: T + index,
        }),
      );
      const replaced = await Promise.all(
        written.map((put, index) => handles[index % handles.length]!.inventory.putOperatorFields(put)),
      );
      const final = await handles[0]!.inventory.operatorFields('raced');
      assert.equal(replaced.filter((previous) => previous === undefined).length, 1, 'one put was first');
      const seen = [...replaced.filter((previous) => previous !== undefined), final!];
      assert.deepEqual(seen.map((found) => found.note).sort(), written.map((put) => put.note).sort());
      for (const found of seen)
        assert.deepEqual(
          found,
          written.find((put) => put.note === found.note),
          'whole, never a mix',
        );
    };

    it(`of ${CONCURRENCY} concurrent puts for one client, each replaces exactly the one before`, () =>
      racePuts([store]));

    if (openTwoHandles !== undefined)
      it(`of ${CONCURRENCY} concurrent puts on two handles, each replaces exactly the one before`, async () => {
        const [first, second] = await openTwoHandles();
        try {
          await racePuts([first, second]);
        } finally {
          await first.close();
          await second.close();
        }
      });
  });
}
