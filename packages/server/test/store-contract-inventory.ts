/**
 * The store contract suite, continued: the client inventory aggregate (issue #14,
 * src/store/client-inventory-store.ts). Every Store implementation runs it (memory-store.test.ts,
 * sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with the conventions of
 * ./store-contract.ts: a fresh, empty store per test, explicit times around T, no clock. This file
 * opens the store for each test; the tests are in its parts, store-contract-inventory-*.ts (listing,
 * operator fields, activity, reach), and their records in support/inventory-contract.ts.
 */
import { afterEach, beforeEach, describe } from 'node:test';
import type { InventoryQuery, Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';
import { describeInstallationCountContract } from './store-contract-installation-count.ts';
import { describeInventoryActivityContract } from './store-contract-inventory-activity.ts';
import { describeInventoryListingContract } from './store-contract-inventory-listing.ts';
import { describeInventoryOperatorFieldsContract } from './store-contract-inventory-operator-fields.ts';
import { describeInventoryReachContract } from './store-contract-inventory-reach.ts';
import { cimd, registered } from './support/inventory-contract.ts';

export function describeInventoryStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (inventory): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const ids = async (query: Partial<InventoryQuery> = {}) =>
      (await store.inventory.list({ sort: 'client_id', limit: 100, ...query })).map(
        (row) => row.record.clientId,
      );

    /** A CIMD client, a DCR client redirecting to a host, a static client with loopback redirects. */
    async function fleet(): Promise<void> {
      await store.clients.put(cimd('https://app.example.com/client.json', { software_id: 'sw-a' }));
      await store.clients.put(cimd('https://other.example.org/c.json'));
      await store.clients.put(
        registered('dcr-1', 'dcr', ['https://cb.tenant.example.com/back', 'https://192.0.2.7/cb'], 'sw-a'),
      );
      await store.clients.put(
        registered('static-1', 'static', ['http://127.0.0.1/cb', 'com.example.app:/cb']),
      );
    }

    const harness = { store: () => store, ids, fleet, openTwoHandles };
    describeInventoryListingContract(harness);
    describeInventoryOperatorFieldsContract(harness);
    describeInventoryActivityContract(harness);
    describeInventoryReachContract(harness);
  });
  // How installations are counted (decision 0044), in a file of its own.
  describeInstallationCountContract(name, open);
}
