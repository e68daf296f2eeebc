/**
 * A flood of distinct unknown CIMD client_ids (issue #8, docs/decisions/0020-cheap-cimd-refusals.md):
 * a client_id whose document fetch the governor would refuse is refused before any store read, and
 * such load-shedding refusals are audited in aggregate (a row when a host first meets a reason in an
 * interval, then one summary row with the count), while the metric stays per request. Refusals that
 * say something about the document itself (CIMD-CACHE-3: errors are not cached) are untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFetchGovernor } from '../src/cimd/fetch-governor.ts';
import { createDocumentCache } from '../src/cimd/metadata-document-cache.ts';
import { createRefusalAudit, OVERFLOW_HOST } from '../src/cimd/refusal-audit.ts';
import type { AuditEvent } from '../src/store/store.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer } from './support/test-server.ts';

const T0 = Date.UTC(2026, 10, 24);

describe('fetch governor: check() (issue #8)', () => {
  it('answers like run() would, without consuming, counting or remembering anything', async () => {
    let now = 0;
    const governor = createFetchGovernor({
      clock: () => now,
      perHostRatePerSecond: 1,
      globalRatePerSecond: 1,
      perHostConcurrency: 1,
      perHostMaxQueue: 0,
    });
    assert.equal(governor.check('a.test'), undefined);
    assert.equal(governor.check('a.test'), undefined, 'checking twice consumes nothing');
    assert.equal(governor.stats().hosts, 0, 'an unseen host leaves no state');
    const { promise: hold, resolve } = Promise.withResolvers<void>();
    const running = governor.run('a.test', () => hold);
    assert.equal(governor.check('A.TEST'), 'host_rate', 'case-insensitive, bucket spent');
    now += 1000;
    assert.equal(governor.check('a.test'), 'host_concurrency', 'refilled, but its one slot is busy');
    assert.equal(governor.check('b.test'), undefined);
    await governor.run('b.test', async () => undefined);
    assert.equal(governor.check('c.test'), 'global_rate');
    assert.deepEqual(governor.stats().refused, {
      global_rate: 0,
      host_rate: 0,
      global_concurrency: 0,
      host_concurrency: 0,
      queue_full: 0,
    });
    resolve();
    await running;
  });
});

describe('document cache: refuseEarly() (issue #8)', () => {
  function setup() {
    let now = T0;
    const clock = () => now;
    const events: string[] = [];
    let fetches = 0;
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    const governor = createFetchGovernor({ clock, perHostRatePerSecond: 1 });
    const cache = createDocumentCache<unknown>({
      fetch: async (url) => {
        fetches++;
        await gate;
        const body = new TextEncoder().encode(JSON.stringify({ client_id: String(url) }));
        return {
          status: 200,
          url: String(url),
          headers: new Headers({ 'content-type': 'application/json', 'cache-control': 'max-age=600' }),
          body,
          remoteAddress: undefined,
          text: () => new TextDecoder().decode(body),
          json: () => JSON.parse(new TextDecoder().decode(body)) as unknown,
        };
      },
      validate: (body) => body,
      governor,
      clock,
      onEvent: (e) => events.push(`${e.type}:${e.reason ?? ''}`),
    });
    return { cache, events, open, fetches: () => fetches, advance: (ms: number) => (now += ms) };
  }

  it('never refuses a URL that get() would answer from memory or from a fetch under way', async () => {
    const t = setup();
    const url = 'https://a.test/one';
    assert.equal(t.cache.refuseEarly(url), undefined, 'admissible: the caller goes on to get()');
    const first = t.cache.get(url);
    // The host's only token is spent, but the stampede joins the flight (1,000 → 1 fetch).
    assert.equal(t.cache.refuseEarly(url), undefined);
    const joined = t.cache.get(url);
    t.open();
    await Promise.all([first, joined]);
    assert.equal(t.fetches(), 1);
    assert.equal(t.cache.refuseEarly(url), undefined, 'a fresh entry is a hit');
    const refusal = t.cache.refuseEarly('https://a.test/two');
    assert.equal(refusal?.reason, 'host_rate');
    assert.equal(refusal?.host, 'a.test');
    assert.equal(t.cache.stats().governorRefusals, 1, 'counted like a refusal from get()');
    assert.equal(t.events.at(-1), 'governor_refused:host_rate');
    assert.equal(t.fetches(), 1);
  });
});

describe('aggregated audit of governor refusals (issue #8)', () => {
  function setup(options: { maxKeys?: number } = {}) {
    let now = T0;
    const rows: Omit<AuditEvent, 'at'>[] = [];
    const debug: unknown[] = [];
    const audit = createRefusalAudit({
      audit: async (event) => {
        rows.push(event);
      },
      clock: () => now,
      intervalMs: 60_000,
      logger: { debug: (object) => debug.push(object) },
      ...options,
    });
    return { audit, rows, debug, advance: (ms: number) => (now += ms) };
  }

  it('stores the first refusal of a host at once, then one summary row with the count', async () => {
    const t = setup();
    for (let i = 0; i < 100; i++) await t.audit.record(`https://a.test/u/${i}`, 'a.test', 'global_rate');
    assert.equal(t.rows.length, 1);
    assert.deepEqual(t.rows[0], {
      type: 'cimd.refused',
      clientId: 'https://a.test/u/0',
      reason: 'global_rate',
      detail: { host: 'a.test', aggregated: false, interval_ms: 60_000 },
    });
    assert.equal(t.debug.length, 100, 'a debug line per refusal');
    t.advance(60_000);
    // The next refusal after the interval closes the window (summary) and opens a new one.
    await t.audit.record('https://a.test/u/100', 'a.test', 'global_rate');
    assert.equal(t.rows.length, 3);
    assert.deepEqual(t.rows[1], {
      type: 'cimd.refused',
      reason: 'global_rate',
      detail: {
        host: 'a.test',
        aggregated: true,
        count: 99,
        since: T0,
        until: T0 + 60_000,
        last_client_id: 'https://a.test/u/99',
      },
    });
    assert.equal(t.rows[2]?.clientId, 'https://a.test/u/100');
    await t.audit.flush();
    assert.equal(t.rows.length, 3, 'no summary for a window with nothing after its first row');
    assert.equal(t.audit.size(), 0);
  });

  it('keeps hosts and reasons apart, and flush() writes what is pending', async () => {
    const t = setup();
    for (const host of ['a.test', 'b.test'])
      for (const reason of ['global_rate', 'host_rate'])
        for (let i = 0; i < 3; i++) await t.audit.record(`https://${host}/${i}`, host, reason);
    assert.equal(t.rows.length, 4);
    await t.audit.flush();
    assert.equal(t.rows.length, 8);
    assert.deepEqual(
      t.rows.slice(4).map((r) => [r.detail?.host, r.reason, r.detail?.count]),
      [
        ['a.test', 'global_rate', 2],
        ['a.test', 'host_rate', 2],
        ['b.test', 'global_rate', 2],
        ['b.test', 'host_rate', 2],
      ],
    );
  });

  it('is bounded: past maxKeys windows, every other host is counted under "*"', async () => {
    const t = setup({ maxKeys: 10 });
    for (let i = 0; i < 10_000; i++)
      await t.audit.record(`https://f${i}.test/u`, `f${i}.test`, 'global_rate');
    assert.equal(t.audit.size(), 11, '10 hosts and the overflow window');
    assert.equal(t.rows.length, 11, 'one row per window, not one per refusal');
    assert.equal(t.rows.at(-1)?.detail?.host, OVERFLOW_HOST);
    await t.audit.flush();
    assert.equal(t.rows.at(-1)?.detail?.count, 10_000 - 11);
    // An expired window makes room for a new host again.
    t.advance(60_000);
    await t.audit.record('https://new.test/u', 'new.test', 'global_rate');
    assert.equal(t.rows.at(-1)?.detail?.host, 'new.test');
  });
});

describe('a flood of unknown CIMD client_ids at the server (issue #8)', () => {
  it('refuses what the governor would refuse before any store read, audited in aggregate, counted per request', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    // A bucket of a tenth of a fetch per host: every host's first fetch is already over its rate.
    const t = await createTestServer({
      outboundFetch: documents.fetch,
      cimd: { fetchesPerSecondPerHost: 0.1 },
    });
    const reads = { clients: 0, documents: 0 };
    const { clients, clientDocuments } = t.store;
    const get = clients.get.bind(clients);
    const latest = clientDocuments.latest.bind(clientDocuments);
    clients.get = (id) => {
      reads.clients++;
      return get(id);
    };
    clientDocuments.latest = (id) => {
      reads.documents++;
      return latest(id);
    };
    for (let i = 0; i < 20; i++) {
      const host = `f${i % 2}.flood.test`;
      const response = await t.send(t.authorizationUrl({ client_id: `https://${host}/u/${i}` }));
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null, 'an error page, no redirect (CIMD-FETCH-13)');
    }
    assert.deepEqual(reads, { clients: 0, documents: 0 });
    assert.equal(documents.fetches(CIMD_URL), 0);
    const rows = await t.store.audit.list({ type: 'cimd.refused' });
    assert.deepEqual(rows.map((r) => [r.detail?.host, r.reason]).sort(), [
      ['f0.flood.test', 'host_rate'],
      ['f1.flood.test', 'host_rate'],
    ]);
    const metric = await t.server.metrics.getSingleMetricAsString('gatehouse_cimd_refusals_total');
    assert.match(metric, /gatehouse_cimd_refusals_total\{reason="host_rate"\} 20/);
  });
});

describe('server.stop() writes the pending aggregated refusals (issue #8, decision 0020)', () => {
  it('stores the summary row of every open window on a clean stop, and keeps refusing afterwards', async () => {
    const documents = stubDocuments();
    const t = await createTestServer({
      outboundFetch: documents.fetch,
      cimd: { fetchesPerSecondPerHost: 0.1 },
    });
    for (let i = 0; i < 12; i++) {
      const host = `f${i % 3}.flood.test`;
      const response = await t.send(t.authorizationUrl({ client_id: `https://${host}/u/${i}` }));
      assert.equal(response.status, 400);
    }
    const before = await t.store.audit.list({ type: 'cimd.refused' });
    assert.equal(before.length, 3, 'the first refusal of each host, at once');
    assert.ok(before.every((row) => row.detail?.aggregated === false));

    await t.server.stop();
    const rows = await t.store.audit.list({ type: 'cimd.refused' });
    const summaries = rows.filter((row) => row.detail?.aggregated === true);
    assert.deepEqual(summaries.map((row) => [row.detail?.host, row.reason, row.detail?.count]).sort(), [
      ['f0.flood.test', 'host_rate', 3],
      ['f1.flood.test', 'host_rate', 3],
      ['f2.flood.test', 'host_rate', 3],
    ]);
    // Nothing was lost: the stored rows account for every refusal the metric counted.
    const counted = rows.reduce(
      (sum, row) => sum + (row.detail?.aggregated === true ? Number(row.detail.count) : 1),
      0,
    );
    assert.equal(counted, 12);

    // The handler keeps working after stop(): a later refusal opens a new window, stored at once.
    const after = await t.send(t.authorizationUrl({ client_id: 'https://f0.flood.test/u/late' }));
    assert.equal(after.status, 400);
    assert.equal((await t.store.audit.list({ type: 'cimd.refused' })).length, rows.length + 1);
    await t.server.stop();
    assert.equal(
      (await t.store.audit.list({ type: 'cimd.refused' })).length,
      rows.length + 1,
      'nothing pending',
    );
  });
});
