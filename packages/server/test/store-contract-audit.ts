/**
 * The store contract suite, continued: reading the audit log (issue #14, item 6): time ranges,
 * pages after a position, the order when events share a millisecond, and the retention purge.
 * Every Store implementation runs it (memory-store.test.ts, sqlite-store.test.ts,
 * store-postgres/test/postgres-store.test.ts) with the conventions of ./store-contract.ts: a
 * fresh, empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditEvent, AuditFilter, AuditPosition, Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';

const T = 1_750_000_000_000;
const CONCURRENCY = 20;

/** Every page of a walk from the first to the last, with the positions it was given. */
async function walk(store: Store, filter: AuditFilter, limit: number): Promise<AuditEvent[][]> {
  const pages: AuditEvent[][] = [];
  let after: AuditPosition | undefined;
  for (;;) {
    const page = await store.audit.page(filter, { limit, ...(after === undefined ? {} : { after }) });
    pages.push(page.events);
    if (page.next === undefined) return pages;
    assert.ok(pages.length < 1000, 'the walk ends');
    after = page.next;
  }
}

/** `count` events, one per millisecond from T, alternating between two clients. */
function timeline(count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    at: T + index,
    type: index % 3 === 0 ? 'login.failed' : 'token.issued',
    clientId: index % 2 === 0 ? 'c-even' : 'c-odd',
    userId: `u${index % 4}`,
    detail: { n: index },
  }));
}

export function describeAuditStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (audit): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const append = async (events: readonly AuditEvent[]) => {
      for (const event of events) await store.audit.append(event);
    };

    describe('time range', () => {
      const events = timeline(10);
      const cases: { filter: AuditFilter; expected: number[] }[] = [
        { filter: { since: T + 7 }, expected: [9, 8, 7] },
        { filter: { until: T + 2 }, expected: [1, 0] },
        { filter: { since: T + 3, until: T + 6 }, expected: [5, 4, 3] },
        { filter: { since: T + 3, until: T + 3 }, expected: [] },
        { filter: { since: T + 2, until: T + 8, clientId: 'c-even' }, expected: [6, 4, 2] },
        { filter: { since: T + 2, type: 'login.failed', userId: 'u1' }, expected: [9] },
        { filter: { until: T + 100, actor: 'nobody' }, expected: [] },
      ];
      for (const { filter, expected } of cases) {
        it(`list and page(${JSON.stringify(filter).replaceAll(String(T), 'T')}): since inclusive, until exclusive`, async () => {
          await append(events);
          const wanted = expected.map((index) => events[index]);
          assert.deepEqual(await store.audit.list(filter), wanted);
          assert.deepEqual((await store.audit.page(filter, { limit: 100 })).events, wanted);
        });
      }

      it('ranges that meet tile the log: every event in exactly one', async () => {
        await append(events);
        const first = await store.audit.list({ until: T + 5 });
        const second = await store.audit.list({ since: T + 5 });
        assert.deepEqual([...second, ...first], await store.audit.list());
      });
    });

    describe('pages', () => {
      it('a walk returns what list returns, page by page, and the last page has no next', async () => {
        const events = timeline(11);
        await append(events);
        const pages = await walk(store, {}, 4);
        assert.deepEqual(
          pages.map((page) => page.length),
          [4, 4, 3],
        );
        assert.deepEqual(pages.flat(), await store.audit.list());
      });

      it('a log that fills its pages exactly ends without an empty page', async () => {
        await append(timeline(6));
        const pages = await walk(store, {}, 3);
        assert.deepEqual(
          pages.map((page) => page.length),
          [3, 3],
        );
        assert.deepEqual(await store.audit.page({}, { limit: 6 }), {
          events: await store.audit.list(),
        });
      });

      it('an empty log, or a filter nothing matches, is one empty page', async () => {
        assert.deepEqual(await store.audit.page({}, { limit: 10 }), { events: [] });
        await append(timeline(3));
        assert.deepEqual(await store.audit.page({ type: 'nothing' }, { limit: 10 }), { events: [] });
      });

      it('filters apply on every page', async () => {
        const events = timeline(20);
        await append(events);
        const filter: AuditFilter = { clientId: 'c-odd', since: T + 4, until: T + 17 };
        const pages = await walk(store, filter, 2);
        assert.deepEqual(
          pages.flat().map((event) => event.detail?.n),
          [15, 13, 11, 9, 7, 5],
        );
      });

      it('events of one millisecond: last appended first, none lost or repeated at a page boundary', async () => {
        const events: AuditEvent[] = [
          { at: T + 1, type: 'a.first' },
          { at: T + 2, type: 'b.first' },
          { at: T + 2, type: 'b.second' },
          { at: T + 2, type: 'b.third' },
          { at: T + 2, type: 'b.fourth' },
          { at: T + 3, type: 'c.first' },
        ];
        await append(events);
        for (const limit of [1, 2, 3, 4, 5]) {
          const pages = await walk(store, {}, limit);
          assert.deepEqual(
            pages.flat().map((event) => event.type),
            ['c.first', 'b.fourth', 'b.third', 'b.second', 'b.first', 'a.first'],
            `pages of ${limit}`,
          );
        }
      });

      it('an event appended during a walk is read once if older than where the walk is, never if newer', async () => {
        await append(timeline(6)); // T … T+5
        const first = await store.audit.page({}, { limit: 3 }); // T+5, T+4, T+3
        assert.ok(first.next);
        await store.audit.append({ at: T + 10, type: 'late.newer' });
        await store.audit.append({ at: T + 1, type: 'late.older' });
        const continued = await store.audit.page({}, { limit: 100, after: first.next });
        assert.deepEqual(
          continued.events.map((event) => [event.at - T, event.type]),
          [
            [2, 'token.issued'],
            [1, 'late.older'],
            [1, 'token.issued'],
            [0, 'login.failed'],
          ],
        );
        const rest = await walk(store, {}, 2);
        assert.equal(rest.flat().length, 8, 'a new walk sees all eight');
      });

      it('pages are copies', async () => {
        await store.audit.append({ at: T, type: 'token.issued', detail: { family_id: 'f1' } });
        const page = await store.audit.page({}, { limit: 1 });
        page.events[0]!.detail!.family_id = 'changed';
        assert.deepEqual((await store.audit.page({}, { limit: 1 })).events, [
          { at: T, type: 'token.issued', detail: { family_id: 'f1' } },
        ]);
      });
    });

    describe('purgeBefore', () => {
      it('deletes events older than the cutoff, oldest first, at most limit, and says how many', async () => {
        const events = timeline(10);
        await append(events);
        assert.equal(await store.audit.purgeBefore(T + 6, 4), 4);
        assert.deepEqual(await store.audit.list({ until: T + 6 }), [events[5], events[4]]);
        assert.equal(await store.audit.purgeBefore(T + 6, 4), 2);
        assert.equal(await store.audit.purgeBefore(T + 6, 4), 0);
        assert.deepEqual(
          await store.audit.list(),
          [9, 8, 7, 6].map((index) => events[index]),
          'the event at the cutoff and those after are kept',
        );
      });

      it('pages and new appends go on after a purge', async () => {
        await append(timeline(5));
        await store.audit.purgeBefore(T + 100, 100);
        await store.audit.append({ at: T + 1, type: 'after.purge.one' });
        await store.audit.append({ at: T + 1, type: 'after.purge.two' });
        const pages = await walk(store, {}, 1);
        assert.deepEqual(
          pages.flat().map((event) => event.type),
          ['after.purge.two', 'after.purge.one'],
        );
      });

      it(`concurrent purges (${CONCURRENCY}) delete each event once: their counts add up`, async () => {
        await append(timeline(100));
        const counts = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => store.audit.purgeBefore(T + 90, 7)),
        );
        let total = counts.reduce((sum, n) => sum + n, 0);
        while (total < 90) {
          const more = await store.audit.purgeBefore(T + 90, 7);
          assert.ok(more > 0, 'purging goes on until everything old is gone');
          total += more;
        }
        assert.equal(total, 90);
        assert.equal((await store.audit.list()).length, 10);
      });

      if (openTwoHandles !== undefined) {
        it('two instances purging at once delete each event once', async () => {
          const [one, two] = await openTwoHandles();
          try {
            for (const event of timeline(60)) await one.audit.append(event);
            const rounds = await Promise.all(
              [one, two].map(async (handle) => {
                let deleted = 0;
                for (;;) {
                  const n = await handle.audit.purgeBefore(T + 50, 5);
                  if (n === 0) return deleted;
                  deleted += n;
                }
              }),
            );
            assert.equal(rounds[0]! + rounds[1]!, 50);
            assert.equal((await two.audit.list()).length, 10);
          } finally {
            await one.close();
            await two.close();
          }
        });
      }
    });
  });
}
