/**
 * The store contract suite, inventory part (issue #14, src/store/client-inventory-store.ts): the
 * activity written per client and kind. Registered by describeInventoryStoreContract (./store-
 * contract-inventory.ts) inside its describe, which opens a fresh, empty store per test; explicit
 * times around T, no clock.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import { CONCURRENCY, type InventoryContractHarness, T } from './support/inventory-contract.ts';

export function describeInventoryActivityContract(harness: InventoryContractHarness): void {
  describe('activity', () => {
    let store: Store;
    beforeEach(() => {
      store = harness.store();
    });
    it('keeps the earliest as first seen and the latest per kind, whatever the order', async () => {
      await store.inventory.recordActivity('c1', 'token', T + 10);
      await store.inventory.recordActivity('c1', 'authorization', T + 5);
      await store.inventory.recordActivity('c1', 'token', T + 7);
      await store.inventory.recordActivity('c1', 'refresh', T + 20);
      assert.deepEqual(await store.inventory.activity('c1'), {
        clientId: 'c1',
        firstSeenAt: T + 5,
        lastSeenAt: T + 20,
        lastAuthorizationAt: T + 5,
        lastTokenAt: T + 10,
        lastRefreshAt: T + 20,
      });
      await store.inventory.recordActivity('c2', 'authorization', T);
      const only = await store.inventory.activity('c2');
      assert.deepEqual(only, { clientId: 'c2', firstSeenAt: T, lastSeenAt: T, lastAuthorizationAt: T });
      assert.equal(await store.inventory.activity('c3'), undefined);
    });

    it(`applies ${CONCURRENCY} concurrent records`, async () => {
      const kinds = ['authorization', 'token', 'refresh'] as const;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, index) =>
          store.inventory.recordActivity('c1', kinds[index % 3]!, T + index),
        ),
      );
      const seen = await store.inventory.activity('c1');
      assert.equal(seen?.firstSeenAt, T);
      assert.equal(seen?.lastSeenAt, T + CONCURRENCY - 1);
      assert.equal(seen?.lastAuthorizationAt, T + 18);
      assert.equal(seen?.lastTokenAt, T + 19);
      assert.equal(seen?.lastRefreshAt, T + 17);
    });
  });
}
