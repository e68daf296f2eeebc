/**
 * The store contract suite, continued: document freshness (issue #14, item 5; decision 0035), the
 * evictions and stale-if-error marks of Client ID Metadata Documents. Every Store implementation
 * runs it (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts)
 * with the conventions of ./store-contract.ts: a fresh, empty store per test, times around T.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ClientRecord, DocumentStaleness, Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';

const T = 1_750_000_000_000;
const MINUTE = 60_000;
const CONCURRENCY = 20;
const URL_A = 'https://a.example/client.json';
const URL_B = 'https://b.example/client.json';

export function describeDocumentFreshnessStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (document freshness): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('knows nothing of a client it was told nothing about', async () => {
      assert.equal(await store.documentFreshness.get(URL_A), undefined);
      assert.equal(await store.documentFreshness.clearStale(URL_A, T), false);
      assert.equal(await store.documentFreshness.delete(URL_A), false);
    });

    it('markStale sets the mark once: a second mark keeps the first episode and returns false', async () => {
      assert.equal(await store.documentFreshness.markStale(URL_A, stale()), true);
      assert.equal(
        await store.documentFreshness.markStale(
          URL_A,
          stale({ since: T + MINUTE, reason: 'deadline_exceeded' }),
        ),
        false,
      );
      assert.deepEqual(await store.documentFreshness.get(URL_A), { clientId: URL_A, stale: stale() });
    });

    it('clearStale removes a mark the confirmation follows, and keeps a later one', async () => {
      await store.documentFreshness.markStale(URL_A, stale({ since: T + MINUTE }));
      assert.equal(await store.documentFreshness.clearStale(URL_A, T), false, 'confirmed before the failure');
      assert.deepEqual((await store.documentFreshness.get(URL_A))?.stale, stale({ since: T + MINUTE }));
      assert.equal(await store.documentFreshness.clearStale(URL_A, T + MINUTE), true);
      assert.equal((await store.documentFreshness.get(URL_A))?.stale, undefined);
      assert.equal(await store.documentFreshness.markStale(URL_A, stale()), true, 'a new episode');
    });

    it('evict keeps the later time and removes the stale mark', async () => {
      await store.documentFreshness.markStale(URL_A, stale());
      await store.documentFreshness.evict(URL_A, T + 2 * MINUTE);
      assert.deepEqual(await store.documentFreshness.get(URL_A), {
        clientId: URL_A,
        evictedAt: T + 2 * MINUTE,
      });
      await store.documentFreshness.evict(URL_A, T + MINUTE);
      assert.equal((await store.documentFreshness.get(URL_A))?.evictedAt, T + 2 * MINUTE);
      await store.documentFreshness.evict(URL_B, T);
      assert.deepEqual(await store.documentFreshness.get(URL_B), { clientId: URL_B, evictedAt: T });
    });

    it('a stale mark after an eviction keeps the eviction', async () => {
      await store.documentFreshness.evict(URL_A, T);
      assert.equal(await store.documentFreshness.markStale(URL_A, stale({ since: T + MINUTE })), true);
      assert.deepEqual(await store.documentFreshness.get(URL_A), {
        clientId: URL_A,
        evictedAt: T,
        stale: stale({ since: T + MINUTE }),
      });
    });

    it('delete removes everything of the client', async () => {
      await store.documentFreshness.evict(URL_A, T);
      await store.documentFreshness.markStale(URL_A, stale());
      assert.equal(await store.documentFreshness.delete(URL_A), true);
      assert.equal(await store.documentFreshness.get(URL_A), undefined);
    });

    it('usedClients lists document clients used since a time, ordered and paged', async () => {
      const used = (clientId: string, lastUsedAt?: number, kind: ClientRecord['kind'] = 'cimd') =>
        store.clients.put(client(clientId, kind, lastUsedAt));
      await used('https://c.example/client.json', T);
      await used(URL_B, T + MINUTE);
      await used(URL_A, T - MINUTE);
      await used('https://never.example/client.json');
      await used('dcr-used', T, 'dcr');
      await used('static-used', T, 'static');
      assert.deepEqual(await store.documentFreshness.usedClients({ since: T, limit: 10 }), [
        URL_B,
        'https://c.example/client.json',
      ]);
      assert.deepEqual(await store.documentFreshness.usedClients({ since: T - MINUTE, limit: 2 }), [
        URL_A,
        URL_B,
      ]);
      assert.deepEqual(
        await store.documentFreshness.usedClients({ since: T - MINUTE, after: URL_B, limit: 2 }),
        ['https://c.example/client.json'],
      );
      await store.clients.touch(URL_A, T + 2 * MINUTE);
      assert.deepEqual(await store.documentFreshness.usedClients({ since: T + MINUTE, limit: 10 }), [
        URL_A,
        URL_B,
      ]);
    });

    it(`of ${CONCURRENCY} concurrent marks of one client, exactly one returns true`, async () => {
      await raceMarks([store]);
    });

    if (openTwoHandles !== undefined)
      it(`of ${CONCURRENCY} concurrent marks on two handles, exactly one returns true`, async () => {
        const [first, second] = await openTwoHandles();
        try {
          await raceMarks([first, second]);
        } finally {
          await first.close();
          await second.close();
        }
      });
  });
}

async function raceMarks(stores: Store[]): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, i) =>
      stores[i % stores.length]!.documentFreshness.markStale(URL_A, stale({ since: T + i })),
    ),
  );
  assert.equal(results.filter(Boolean).length, 1);
  const winner = results.indexOf(true);
  assert.equal((await stores[0]!.documentFreshness.get(URL_A))?.stale?.since, T + winner);
}

function stale(overrides: Partial<DocumentStaleness> = {}): DocumentStaleness {
  return {
    digest: 'digest-1',
    since: T,
    until: T + 24 * 60 * MINUTE,
    reason: 'connect_failed',
    ...overrides,
  };
}

function client(clientId: string, kind: ClientRecord['kind'], lastUsedAt?: number): ClientRecord {
  return {
    clientId,
    kind,
    metadata: {
      client_id: clientId,
      redirect_uris: ['https://app.example/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    createdAt: T,
    updatedAt: T,
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
  };
}
