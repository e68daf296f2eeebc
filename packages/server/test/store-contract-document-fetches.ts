/**
 * The store contract suite, continued: the fetch log of client metadata documents (issue #14,
 * src/store/document-fetch-store.ts). Every Store implementation runs it (memory-store.test.ts,
 * sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with the conventions of
 * ./store-contract.ts: a fresh, empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DocumentFetch, Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';

const T = 1_750_000_000_000;
const MINUTE = 60_000;
const CONCURRENCY = 20;
const APP = 'https://app.example/client.json';
const OTHER = 'https://other.example/client.json';

function fetched(overrides: Partial<DocumentFetch> = {}): DocumentFetch {
  const clientId = overrides.clientId ?? APP;
  return {
    clientId,
    host: new URL(clientId).hostname,
    at: T,
    durationMs: 12,
    outcome: 'accepted',
    status: 200,
    digest: 'd1',
    headers: { etag: '"v1"', 'cache-control': 'max-age=300' },
    remoteAddress: '192.0.2.10',
    tls: {
      issuer: 'CN=Test CA',
      subject: 'CN=app.example',
      spkiSha256: 'q2Xf7Yk8o0m3vH0V1bY0M2l9oJ8n1zQ3L5bW6cX7d8E=',
      validFrom: T - 86_400_000,
      validTo: T + 86_400_000,
    },
    ...overrides,
  };
}

export function describeDocumentFetchStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (document fetches): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('lists nothing and has no latest entry for a client never fetched', async () => {
      assert.deepEqual(await store.documentFetches.list(APP), []);
      assert.equal(await store.documentFetches.latest(APP), undefined);
      assert.equal(await store.documentFetches.hostFirstSeen('app.example'), undefined);
    });

    it('records each entry as given, with ascending ids, listed newest first', async () => {
      const accepted = fetched();
      const refused: DocumentFetch = {
        clientId: APP,
        host: 'app.example',
        at: T + MINUTE,
        durationMs: 3,
        outcome: 'refused',
        reason: 'cimd_redirect_uris_missing',
        status: 200,
        digest: 'd2',
        body: '{"client_id":"https://app.example/client.json"}',
      };
      const failed: DocumentFetch = {
        clientId: APP,
        host: 'app.example',
        at: T + 2 * MINUTE,
        durationMs: 5000,
        outcome: 'failed',
        reason: 'deadline_exceeded',
      };
      for (const entry of [accepted, refused, failed]) await store.documentFetches.record(entry);
      const listed = await store.documentFetches.list(APP);
      assert.deepEqual(
        listed.map(({ id: _id, ...entry }) => entry),
        [failed, refused, accepted],
      );
      const [third, second, firstEntry] = listed.map((entry) => entry.id);
      assert.ok(firstEntry! < second! && second! < third!, 'ids ascend in the order recorded');
      // Members an entry does not have are absent, not undefined.
      for (const member of ['status', 'digest', 'body', 'headers', 'remoteAddress', 'tls'])
        assert.equal(member in listed[0]!, false, member);
      assert.deepEqual(await store.documentFetches.latest(APP), listed[0]);
    });

    it('pages by limit and before (an id), newest first; other clients are not listed', async () => {
      for (let index = 0; index < 5; index++)
        await store.documentFetches.record(fetched({ at: T + index, digest: `d${index}` }));
      await store.documentFetches.record(fetched({ clientId: OTHER, at: T + 10 }));
      const firstPage = await store.documentFetches.list(APP, { limit: 2 });
      assert.deepEqual(
        firstPage.map((entry) => entry.digest),
        ['d4', 'd3'],
      );
      const secondPage = await store.documentFetches.list(APP, { limit: 2, before: firstPage.at(-1)!.id });
      assert.deepEqual(
        secondPage.map((entry) => entry.digest),
        ['d2', 'd1'],
      );
      const rest = await store.documentFetches.list(APP, { before: secondPage.at(-1)!.id });
      assert.deepEqual(
        rest.map((entry) => entry.digest),
        ['d0'],
      );
      assert.equal((await store.documentFetches.list(OTHER)).length, 1);
      assert.equal((await store.documentFetches.latest(APP))?.digest, 'd4');
    });

    it('hostFirstSeen is the earliest accepted fetch of the host, whatever the order recorded', async () => {
      await store.documentFetches.record(fetched({ outcome: 'failed', at: T - 10 * MINUTE, reason: 'tls' }));
      assert.equal(
        await store.documentFetches.hostFirstSeen('app.example'),
        undefined,
        'a failure is no sighting',
      );
      await store.documentFetches.record(fetched({ at: T + MINUTE }));
      await store.documentFetches.record(fetched({ at: T }));
      await store.documentFetches.record(fetched({ at: T + 2 * MINUTE }));
      assert.equal(await store.documentFetches.hostFirstSeen('app.example'), T);
      assert.equal(await store.documentFetches.hostFirstSeen('other.example'), undefined);
    });

    it('purge drops entries older than the bound and beyond the newest N of each client', async () => {
      for (let index = 0; index < 4; index++)
        await store.documentFetches.record(fetched({ at: T + index * MINUTE, digest: `a${index}` }));
      for (let index = 0; index < 2; index++)
        await store.documentFetches.record(
          fetched({ clientId: OTHER, at: T + index * MINUTE, digest: `o${index}` }),
        );
      // Older than T + 1 min: a0 and o0. Beyond the newest 2 of APP: a1 too.
      assert.equal(await store.documentFetches.purge({ before: T + MINUTE, keepPerClient: 2 }), 3);
      assert.deepEqual(
        (await store.documentFetches.list(APP)).map((entry) => entry.digest),
        ['a3', 'a2'],
      );
      assert.deepEqual(
        (await store.documentFetches.list(OTHER)).map((entry) => entry.digest),
        ['o1'],
      );
      assert.equal(await store.documentFetches.purge({ before: T + MINUTE, keepPerClient: 2 }), 0);
      assert.equal(
        await store.documentFetches.hostFirstSeen('app.example'),
        T,
        'the sighting outlives the entry',
      );
    });

    it('deleteByClient removes one client entries and says how many; the host stays known', async () => {
      await store.documentFetches.record(fetched());
      await store.documentFetches.record(fetched({ at: T + 1, outcome: 'not_modified', status: 304 }));
      await store.documentFetches.record(fetched({ clientId: OTHER }));
      assert.equal(await store.documentFetches.deleteByClient(APP), 2);
      assert.equal(await store.documentFetches.deleteByClient(APP), 0);
      assert.deepEqual(await store.documentFetches.list(APP), []);
      assert.equal((await store.documentFetches.list(OTHER)).length, 1);
      assert.equal(await store.documentFetches.hostFirstSeen('app.example'), T);
    });

    it('concurrent records are all kept, each with its own id', async () => {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, index) =>
          store.documentFetches.record(fetched({ at: T + index, digest: `c${index}` })),
        ),
      );
      const listed = await store.documentFetches.list(APP);
      assert.equal(listed.length, CONCURRENCY);
      assert.equal(new Set(listed.map((entry) => entry.id)).size, CONCURRENCY);
      assert.equal(await store.documentFetches.hostFirstSeen('app.example'), T);
    });

    // Only where a second handle exists (SQLite, PostgreSQL): the memory store has one.
    if (openTwoHandles !== undefined)
      it('records through two handles on one database are all kept', async () => {
        const [one, two] = await openTwoHandles();
        try {
          await Promise.all(
            Array.from({ length: CONCURRENCY }, (_, index) =>
              (index % 2 === 0 ? one : two).documentFetches.record(
                fetched({ at: T + CONCURRENCY - index, digest: `h${index}` }),
              ),
            ),
          );
          const listed = await one.documentFetches.list(APP);
          assert.equal(listed.length, CONCURRENCY);
          assert.equal(new Set(listed.map((entry) => entry.id)).size, CONCURRENCY);
          assert.equal(await two.documentFetches.hostFirstSeen('app.example'), T + 1);
        } finally {
          await one.close();
          await two.close();
        }
      });
  });
}
