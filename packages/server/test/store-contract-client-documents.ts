/**
 * The store contract suite, continued: client metadata documents with their history, and the client change feed that carries changes to every instance. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CLIENT_CHANGE_RETENTION_MS } from '../src/store/client-change-feed.ts';
import type { Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';
import { CONCURRENCY, MINUTE, range, T } from './support/store-records.ts';

export function describeClientDocumentStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  describe(`store contract (client documents): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('client documents', () => {
      const version = (digest: string, fetchedAt: number, clientId = 'https://app.example/cimd') => ({
        clientId,
        digest,
        body: `{"client_id":"${clientId}","v":"${digest}"}`,
        fetchedAt,
        headers: { etag: `"${digest}"` },
      });

      it('appends a new digest and reports what it replaced', async () => {
        const first = await store.clientDocuments.record(version('d1', T), T);
        assert.deepEqual(first, { changed: true, current: { ...version('d1', T), lastSeenAt: T } });
        const second = await store.clientDocuments.record(version('d2', T + MINUTE), T + MINUTE);
        assert.equal(second.changed, true);
        assert.equal(second.changed && second.previous?.digest, 'd1');
        assert.deepEqual(
          (await store.clientDocuments.history('https://app.example/cimd')).map((v) => v.digest),
          ['d2', 'd1'],
        );
      });

      it('the same digest only moves lastSeenAt and the headers', async () => {
        await store.clientDocuments.record(version('d1', T), T);
        const again = await store.clientDocuments.record(
          { ...version('d1', T + MINUTE), headers: { etag: '"new"' } },
          T + MINUTE,
        );
        assert.equal(again.changed, false);
        const latest = await store.clientDocuments.latest('https://app.example/cimd');
        assert.equal(latest?.fetchedAt, T);
        assert.equal(latest?.lastSeenAt, T + MINUTE);
        assert.deepEqual(latest?.headers, { etag: '"new"' });
        assert.equal((await store.clientDocuments.history('https://app.example/cimd')).length, 1);
      });

      it('a document that changes back is a new version', async () => {
        await store.clientDocuments.record(version('d1', T), T);
        await store.clientDocuments.record(version('d2', T + 1), T + 1);
        const back = await store.clientDocuments.record(version('d1', T + 2), T + 2);
        assert.equal(back.changed, true);
        assert.deepEqual(
          (await store.clientDocuments.history('https://app.example/cimd', 2)).map((v) => v.digest),
          ['d1', 'd2'],
        );
      });

      it('keeps clients apart, and knows nothing of an unseen one', async () => {
        await store.clientDocuments.record(version('d1', T, 'https://a.example/c'), T);
        assert.equal(await store.clientDocuments.latest('https://b.example/c'), undefined);
        assert.deepEqual(await store.clientDocuments.history('https://b.example/c'), []);
      });

      it(`of ${CONCURRENCY} concurrent records of one new digest, exactly one is a change`, async () => {
        await store.clientDocuments.record(version('d1', T), T);
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.clientDocuments.record(version('d2', T + MINUTE), T + MINUTE)),
        );
        assert.equal(results.filter((result) => result.changed).length, 1);
        assert.equal((await store.clientDocuments.history('https://app.example/cimd')).length, 2);
      });
    });

    describe('client documents of a removed client', () => {
      const version = (digest: string, fetchedAt: number, clientId = 'https://app.example/cimd') => ({
        clientId,
        digest,
        body: `{"client_id":"${clientId}"}`,
        fetchedAt,
        headers: {},
      });

      it('deleteByClient removes every version of the client and counts them; others stay', async () => {
        await store.clientDocuments.record(version('d1', T), T);
        await store.clientDocuments.record(version('d2', T + 1), T + 1);
        await store.clientDocuments.record(version('d1', T + 2), T + 2);
        await store.clientDocuments.record(version('d1', T, 'https://other.example/cimd'), T);

        assert.equal(await store.clientDocuments.deleteByClient('https://app.example/cimd'), 3);
        assert.equal(await store.clientDocuments.deleteByClient('https://app.example/cimd'), 0);

        assert.equal(await store.clientDocuments.latest('https://app.example/cimd'), undefined);
        assert.deepEqual(await store.clientDocuments.history('https://app.example/cimd'), []);
        assert.equal((await store.clientDocuments.latest('https://other.example/cimd'))?.digest, 'd1');
      });
    });

    describe('client change feed', () => {
      const change = (clientId: string, at = T, kind: 'removed' | 'updated' = 'removed') => ({
        clientId,
        kind,
        at,
      });

      it('latest is 0 and since is empty when nothing was published', async () => {
        assert.equal(await store.clientChanges.latest(), 0);
        assert.deepEqual(await store.clientChanges.since(0, 10), []);
      });

      it('publish returns increasing sequences; since lists ascending, after a sequence, up to limit', async () => {
        const published: number[] = [];
        for (const [index, clientId] of ['c1', 'c2', 'c3', 'c4'].entries()) {
          published.push(
            await store.clientChanges.publish(change(clientId, T + index, index % 2 ? 'updated' : 'removed')),
          );
        }
        assert.equal(published.length, 4);
        for (let index = 1; index < published.length; index++) {
          assert.ok(published[index]! > published[index - 1]!, `sequence ${index} grows`);
        }
        assert.equal(await store.clientChanges.latest(), published[3]);

        assert.deepEqual(await store.clientChanges.since(0, 10), [
          { sequence: published[0], clientId: 'c1', kind: 'removed', at: T },
          { sequence: published[1], clientId: 'c2', kind: 'updated', at: T + 1 },
          { sequence: published[2], clientId: 'c3', kind: 'removed', at: T + 2 },
          { sequence: published[3], clientId: 'c4', kind: 'updated', at: T + 3 },
        ]);
        const page = await store.clientChanges.since(published[0]!, 2);
        assert.deepEqual(
          page.map((found) => found.clientId),
          ['c2', 'c3'],
        );
        assert.deepEqual(await store.clientChanges.since(published[3]!, 10), []);
      });

      it('purgeExpired removes changes older than the retention and keeps the newer ones', async () => {
        const retention = CLIENT_CHANGE_RETENTION_MS;
        await store.clientChanges.publish(change('old-1', T - retention - 2));
        await store.clientChanges.publish(change('old-2', T - retention - 1));
        const kept = await store.clientChanges.publish(change('fresh', T - retention + 1));
        const newest = await store.clientChanges.publish(change('newest', T));

        await store.purgeExpired(T);

        assert.deepEqual(
          (await store.clientChanges.since(0, 10)).map((found) => found.sequence),
          [kept, newest],
        );
        assert.equal(await store.clientChanges.latest(), newest);
      });

      it('after everything expired, latest and the next sequence still grow', async () => {
        await store.clientChanges.publish(change('c1', T - CLIENT_CHANGE_RETENTION_MS - 2));
        const last = await store.clientChanges.publish(change('c2', T - CLIENT_CHANGE_RETENTION_MS - 1));
        await store.purgeExpired(T);
        assert.equal(await store.clientChanges.latest(), last);
        assert.ok((await store.clientChanges.publish(change('c3'))) > last);
      });

      // Only a backend with a database to share has two handles (the memory store has none).
      const { openTwoHandles } = options;
      if (openTwoHandles !== undefined)
        it('sequences grow across two handles on one database', async () => {
          const [first, second] = await openTwoHandles();
          try {
            const sequences: number[] = [];
            for (const [index, handle] of [first, second, first, second].entries()) {
              sequences.push(await handle.clientChanges.publish(change(`c${index}`)));
            }
            assert.equal(sequences.length, 4);
            for (let index = 1; index < sequences.length; index++) {
              assert.ok(sequences[index]! > sequences[index - 1]!, `sequence ${index} grows`);
            }
            assert.deepEqual(
              (await second.clientChanges.since(0, 10)).map((found) => found.clientId),
              ['c0', 'c1', 'c2', 'c3'],
            );
            assert.equal(await first.clientChanges.latest(), sequences[3]);
          } finally {
            await first.close();
            await second.close();
          }
        });
    });
  });
}
