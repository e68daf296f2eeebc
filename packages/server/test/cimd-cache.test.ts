/** The Client ID Metadata Document cache (CIMD-CACHE-2/3/4/5/7, decision 0007). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SafeFetchError, type SafeFetchInit, type SafeResponse } from '@gatehouse-oauth/safe-fetch';
import {
  createFetchGovernor,
  type FetchGovernorOptions,
  GovernorRefusedError,
} from '../src/cimd/fetch-governor.ts';
import {
  type CacheEvent,
  cacheDirectives,
  createDocumentCache,
  DocumentCacheError,
  type DocumentCacheOptions,
  ENTRY_OVERHEAD_BYTES,
  forbidsStale,
} from '../src/cimd/metadata-document-cache.ts';

const URL_A = 'https://app.example/client.json';
const URL_B = 'https://app.example/b.json';
const T0 = Date.parse('2025-06-01T00:00:00Z');
const MIN = 5 * 60_000;
const DAY = 24 * 60 * 60_000;
const SWR = 60_000;

interface Doc {
  client_id: string;
  v?: number;
}

function respond(status: 200 | 304, body: unknown, headers: Record<string, string> = {}): SafeResponse {
  const text = status === 304 ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const bytes = new TextEncoder().encode(text);
  return {
    status,
    url: URL_A,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    body: bytes,
    remoteAddress: undefined,
    text: () => text,
    json: () => JSON.parse(text) as unknown,
  };
}

type Handler = (url: string, init: SafeFetchInit | undefined) => SafeResponse | Promise<SafeResponse>;

function setup(
  handler: Handler,
  overrides: Partial<DocumentCacheOptions<Doc>> = {},
  governorOptions: FetchGovernorOptions = {},
) {
  let now = T0;
  const clock = () => now;
  const calls: { url: string; init: SafeFetchInit | undefined }[] = [];
  const events: CacheEvent[] = [];
  const governor = createFetchGovernor({ clock, ...governorOptions });
  const cache = createDocumentCache<Doc>({
    fetch: async (url, init) => {
      calls.push({ url: String(url), init });
      return handler(String(url), init);
    },
    validate: (body, url) => {
      const doc = body as Doc;
      if (typeof doc !== 'object' || doc === null || doc.client_id !== url)
        throw new Error('invalid document');
      return doc;
    },
    clock,
    governor,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return {
    cache,
    calls,
    events,
    governor,
    advance: (ms: number) => {
      now += ms;
    },
    types: () => events.map((e) => e.type),
  };
}

const ok =
  (headers: Record<string, string> = {}, extra: Partial<Doc> = {}): Handler =>
  (url) =>
    respond(200, { client_id: url, ...extra }, headers);

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CIMD document cache', () => {
  describe('freshness (CIMD-CACHE-2)', () => {
    it('fetches on a miss, then serves hits without the network or the governor', async () => {
      const t = setup(ok({ 'cache-control': 'max-age=600' }));
      const first = await t.cache.get(URL_A);
      t.advance(599_000);
      const second = await t.cache.get(URL_A);
      assert.equal(second, first);
      assert.equal(t.calls.length, 1);
      assert.equal(t.governor.stats().admitted, 1);
      assert.equal(first.expiresAt, T0 + 600_000);
      assert.equal(first.fetchedAt, T0);
      assert.equal(first.revalidated, false);
      assert.deepEqual(first.value, { client_id: URL_A });
      assert.match(first.digest, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(t.types(), ['miss', 'hit']);
      assert.equal(t.calls[0]!.init?.headers, undefined); // unconditional on a miss
    });

    it('clamps the RFC 9111 lifetime into [minTtl, maxTtl]', async () => {
      const cases: [Record<string, string>, number][] = [
        [{ 'cache-control': 'max-age=10' }, MIN],
        [{ 'cache-control': 'max-age=604800' }, DAY],
        [{}, MIN], // no freshness information at all
        [{ 'cache-control': 'max-age=3600', age: '600' }, 3_000_000],
        [{ date: new Date(T0).toUTCString(), expires: new Date(T0 + 7_200_000).toUTCString() }, 7_200_000],
        [{ 'cache-control': 'private, max-age=3600' }, MIN], // we are a shared cache
      ];
      for (const [headers, ttl] of cases) {
        const t = setup(ok(headers));
        const doc = await t.cache.get(URL_A);
        assert.equal(doc.expiresAt - doc.fetchedAt, ttl, JSON.stringify(headers));
      }
    });

    it('honours a configured clamp', async () => {
      const t = setup(ok({ 'cache-control': 'max-age=3600' }), { minTtlMs: 1_000, maxTtlMs: 60_000 });
      const doc = await t.cache.get(URL_A);
      assert.equal(doc.expiresAt - doc.fetchedAt, 60_000);
    });

    it('stores a no-store document for the minimum TTL only, with no stale window', async () => {
      const t = setup(ok({ 'cache-control': 'no-store' }));
      const doc = await t.cache.get(URL_A);
      assert.equal(doc.expiresAt, T0 + MIN);
      assert.equal(doc.staleUntil, doc.expiresAt);
      t.advance(MIN - 1);
      await t.cache.get(URL_A);
      assert.equal(t.calls.length, 1);
      t.advance(1);
      await t.cache.get(URL_A);
      assert.equal(t.calls.length, 2); // expired, and not served stale
    });

    it('parses Cache-Control directives', () => {
      assert.deepEqual([...cacheDirectives('Max-Age=60, MUST-REVALIDATE,,')], ['max-age', 'must-revalidate']);
      assert.equal(forbidsStale('max-age=60, must-revalidate'), true);
      assert.equal(forbidsStale('no-cache'), true);
      assert.equal(forbidsStale('max-age=60, public'), false);
      assert.equal(forbidsStale(null), false);
    });
  });

  describe('revalidation', () => {
    it('sends the validators after expiry; a 304 keeps the body and refreshes freshness', async () => {
      const lastModified = new Date(T0 - DAY).toUTCString();
      let n = 0;
      const t = setup((url, init) => {
        n++;
        if (n === 1)
          return respond(
            200,
            { client_id: url },
            {
              etag: '"v1"',
              'last-modified': lastModified, // alone, its heuristic lifetime (10% of a day) would apply
              'cache-control': 'max-age=60',
            },
          );
        assert.deepEqual(init?.headers, { 'if-none-match': '"v1"', 'if-modified-since': lastModified });
        return respond(304, null, { etag: '"v1"', 'cache-control': 'max-age=900' });
      });
      const first = await t.cache.get(URL_A);
      t.advance(MIN + SWR); // past the stale window: a foreground revalidation
      const second = await t.cache.get(URL_A);
      assert.equal(t.calls.length, 2);
      assert.equal(second.revalidated, true);
      assert.equal(second.body, first.body);
      assert.equal(second.digest, first.digest);
      assert.equal(second.fetchedAt, T0 + MIN + SWR);
      assert.equal(second.expiresAt, second.fetchedAt + 900_000); // the 304's headers now apply
      assert.equal(second.etag, '"v1"');
      assert.deepEqual(t.types(), ['miss', 'revalidated']);
      t.advance(899_999);
      assert.equal(await t.cache.get(URL_A), second);
    });

    it('a 200 on revalidation is validated and replaces the entry', async () => {
      let v = 0;
      const t = setup((url) => respond(200, { client_id: url, v: ++v }, { etag: `"v${v}"` }));
      await t.cache.get(URL_A);
      t.advance(DAY);
      const doc = await t.cache.get(URL_A);
      assert.equal(doc.value.v, 2);
      assert.equal(doc.etag, '"v2"');
      assert.equal(doc.revalidated, false);
      assert.deepEqual(t.types(), ['miss', 'refreshed']);
    });

    it('a 304 naming another validator is refused and drops the entry', async () => {
      let n = 0;
      const t = setup((url) =>
        ++n === 1 ? respond(200, { client_id: url }, { etag: '"v1"' }) : respond(304, null, { etag: '"v2"' }),
      );
      await t.cache.get(URL_A);
      t.advance(DAY);
      await assert.rejects(
        t.cache.get(URL_A),
        (e: unknown) => e instanceof DocumentCacheError && e.reason === 'revalidation_mismatch',
      );
      assert.equal(t.cache.stats().entries, 0);
    });
  });

  describe('no caching of errors or invalid documents (CIMD-CACHE-3/4)', () => {
    it('a failed fetch rejects and stores nothing; the next get fetches again', async () => {
      const t = setup(() => {
        throw new SafeFetchError('status_not_200', 'status 404', { url: URL_A, status: 404 });
      });
      for (let i = 0; i < 2; i++) {
        await assert.rejects(t.cache.get(URL_A), (e: unknown) => e instanceof SafeFetchError);
      }
      assert.equal(t.calls.length, 2);
      assert.equal(t.cache.stats().entries, 0);
      assert.deepEqual(t.events.at(-1), { type: 'fetch_failed', url: URL_A, reason: 'status_not_200' });
    });

    it('an invalid document or non-JSON body rejects and stores nothing', async () => {
      const invalid = setup((url) => respond(200, { client_id: `${url}#other` }));
      await assert.rejects(invalid.cache.get(URL_A), /invalid document/);
      assert.equal(invalid.cache.stats().entries, 0);
      assert.equal(invalid.cache.stats().invalid, 1);
      assert.equal(invalid.cache.peek(URL_A), undefined);

      const garbage = setup(() => respond(200, '{not json'));
      await assert.rejects(
        garbage.cache.get(URL_A),
        (e: unknown) => e instanceof DocumentCacheError && e.reason === 'invalid_json',
      );
      assert.equal(garbage.cache.stats().entries, 0);
      assert.deepEqual(garbage.types(), ['miss', 'invalid']);
    });

    it('a valid entry whose revalidation the origin refuses is dropped, not served (issue #77)', async () => {
      let fail = false;
      const t = setup((url) => {
        // A 404 is the origin speaking: never served stale (decision 0035; 5xx: cimd-stale-if-error.test.ts).
        if (fail) throw new SafeFetchError('status_not_200', 'status 404', { url, status: 404 });
        return respond(200, { client_id: url }, { etag: '"v1"' });
      });
      await t.cache.get(URL_A);
      fail = true;
      t.advance(MIN + SWR);
      await assert.rejects(t.cache.get(URL_A), SafeFetchError);
      assert.equal(t.cache.peek(URL_A), undefined);
      assert.equal(t.cache.stats().entries, 0);
      assert.equal(t.cache.stats().bytes, 0);
      fail = false;
      await t.cache.get(URL_A);
      assert.equal(t.calls.at(-1)!.init?.headers, undefined); // no validators left: an unconditional fetch
    });
  });

  describe('single-flight', () => {
    it('200 concurrent gets of a missing URL cause exactly one fetch and share its result', async () => {
      const { promise, resolve } = Promise.withResolvers<SafeResponse>();
      const t = setup(() => promise);
      const gets = Array.from({ length: 200 }, () => t.cache.get(URL_A));
      await flush();
      assert.equal(t.calls.length, 1);
      assert.equal(t.cache.stats().inflight, 1);
      resolve(respond(200, { client_id: URL_A }));
      const docs = await Promise.all(gets);
      assert.ok(docs.every((d) => d === docs[0]));
      assert.equal(t.calls.length, 1);
      assert.equal(t.cache.stats().misses, 1);
      assert.equal(t.cache.stats().inflight, 0);
    });

    it('200 concurrent gets share one failure too', async () => {
      const { promise, reject } = Promise.withResolvers<SafeResponse>();
      const t = setup(() => promise);
      const gets = Array.from({ length: 200 }, () => t.cache.get(URL_A));
      await flush();
      const error = new SafeFetchError('deadline_exceeded', 'too slow', { url: URL_A });
      reject(error);
      const outcomes = await Promise.allSettled(gets);
      assert.ok(outcomes.every((o) => o.status === 'rejected' && o.reason === error));
      assert.equal(t.calls.length, 1);
      assert.equal(t.cache.stats().entries, 0);
    });
  });

  describe('stale-while-revalidate', () => {
    it('serves an expired entry inside the window at once and revalidates once in the background', async () => {
      const gate = Promise.withResolvers<SafeResponse>();
      let n = 0;
      const t = setup((url) =>
        ++n === 1 ? respond(200, { client_id: url, v: 1 }, { etag: '"v1"' }) : gate.promise,
      );
      const first = await t.cache.get(URL_A);
      t.advance(MIN + SWR - 1);
      const stale = await Promise.all(Array.from({ length: 20 }, () => t.cache.get(URL_A)));
      assert.ok(stale.every((d) => d === first));
      await flush();
      assert.equal(t.calls.length, 2); // one background revalidation, not twenty
      assert.equal(t.calls[1]!.init?.headers?.['if-none-match'], '"v1"');
      gate.resolve(respond(200, { client_id: URL_A, v: 2 }, { etag: '"v2"' }));
      await flush();
      const fresh = await t.cache.get(URL_A);
      assert.equal(fresh.value.v, 2);
      assert.equal(t.cache.stats().staleServed, 20);
      assert.equal(t.calls.length, 2);
    });

    it('a failed background revalidation drops the entry without an unhandled rejection', async () => {
      let n = 0;
      const t = setup(
        (url) => {
          if (++n === 1) return respond(200, { client_id: url });
          throw new SafeFetchError('connect_failed', 'refused', { url });
        },
        { staleIfErrorMs: 0 }, // without the grace of decision 0035
      );
      await t.cache.get(URL_A);
      t.advance(MIN);
      await t.cache.get(URL_A); // stale, served
      await flush();
      assert.equal(t.cache.stats().entries, 0);
      assert.deepEqual(t.types(), ['miss', 'stale_served', 'fetch_failed']);
    });

    it('never serves past maxTtl after the fetch, whatever the window', async () => {
      const t = setup(ok({ 'cache-control': 'max-age=604800' }));
      const doc = await t.cache.get(URL_A);
      assert.equal(doc.expiresAt, T0 + DAY);
      assert.equal(doc.staleUntil, T0 + DAY);
      t.advance(DAY);
      assert.equal(t.cache.peek(URL_A), undefined);
      await t.cache.get(URL_A);
      assert.equal(t.calls.length, 2);
      assert.equal(t.cache.stats().staleServed, 0);
    });

    it('gives no stale window to must-revalidate', async () => {
      const t = setup(ok({ 'cache-control': 'max-age=600, must-revalidate' }));
      const doc = await t.cache.get(URL_A);
      assert.equal(doc.staleUntil, doc.expiresAt);
    });
  });

  describe('forceRefresh', () => {
    it('bypasses freshness after the cooldown, single-flights, and is a plain get within the cooldown', async () => {
      let v = 0;
      const t = setup((url) => respond(200, { client_id: url, v: ++v }, { 'cache-control': 'max-age=3600' }));
      await t.cache.get(URL_A);
      t.advance(29_999);
      const cooled = await t.cache.get(URL_A, { forceRefresh: true });
      assert.equal(cooled.value.v, 1);
      assert.equal(t.calls.length, 1);
      assert.equal(t.cache.stats().forceRefreshCooledDown, 1);
      t.advance(1);
      const forced = await Promise.all(
        Array.from({ length: 50 }, () => t.cache.get(URL_A, { forceRefresh: true })),
      );
      assert.ok(forced.every((d) => d === forced[0] && d.value.v === 2));
      assert.equal(t.calls.length, 2);
      // The refresh restarted the cooldown.
      t.advance(10_000);
      assert.equal((await t.cache.get(URL_A, { forceRefresh: true })).value.v, 2);
      assert.equal(t.calls.length, 2);
    });

    it('uses the custom cooldown', async () => {
      const t = setup(ok({ 'cache-control': 'max-age=3600' }), { forceRefreshCooldownMs: 0 });
      await t.cache.get(URL_A);
      await t.cache.get(URL_A, { forceRefresh: true });
      assert.equal(t.calls.length, 2);
    });
  });

  describe('memory bound', () => {
    it('evicts the least recently used entries by bytes, and stats reflect it', async () => {
      const t = setup(ok({ 'cache-control': 'max-age=3600' }));
      const sizeOf = (url: string) =>
        new TextEncoder().encode(JSON.stringify({ client_id: url })).byteLength +
        url.length +
        ENTRY_OVERHEAD_BYTES;
      const urls = [
        'https://a.example/c',
        'https://b.example/c',
        'https://c.example/c',
        'https://d.example/c',
      ];
      const small = setup(ok({ 'cache-control': 'max-age=3600' }), {
        maxBytes: sizeOf(urls[0]!) * 3,
      });
      for (const url of urls.slice(0, 3)) await small.cache.get(url);
      assert.equal(small.cache.stats().entries, 3);
      await small.cache.get(urls[0]!); // a becomes the most recently used
      await small.cache.get(urls[3]!);
      const s = small.cache.stats();
      assert.equal(s.entries, 3);
      assert.equal(s.evictions, 1);
      assert.equal(s.bytes, sizeOf(urls[0]!) * 3);
      assert.ok(s.bytes <= s.maxBytes);
      assert.equal(small.cache.peek(urls[1]!), undefined); // b was the least recently used
      assert.ok(small.cache.peek(urls[0]!));
      assert.deepEqual(small.events.at(-1), { type: 'evicted', url: urls[1], reason: 'lru' });
      assert.equal(t.calls.length, 0);
    });
  });

  describe('governor', () => {
    it('runs every network fetch under the governor and stores nothing it refuses', async () => {
      const t = setup(ok(), {}, { perHostRatePerSecond: 1, burst: 1 });
      await t.cache.get(URL_A);
      await assert.rejects(
        t.cache.get(URL_B),
        (e: unknown) => e instanceof GovernorRefusedError && e.reason === 'host_rate',
      );
      assert.equal(t.calls.length, 1);
      assert.equal(t.cache.stats().entries, 1);
      assert.equal(t.cache.stats().governorRefusals, 1);
      assert.deepEqual(t.events.at(-1), { type: 'governor_refused', url: URL_B, reason: 'host_rate' });
      // Hits do not touch the governor.
      for (let i = 0; i < 10; i++) await t.cache.get(URL_A);
      assert.equal(t.governor.stats().refused.host_rate, 1);
    });

    it('keeps a stale entry when the governor refuses its background revalidation', async () => {
      const t = setup(ok(), {}, { perHostRatePerSecond: 0.001, burst: 1 });
      await t.cache.get(URL_A);
      t.advance(MIN);
      await t.cache.get(URL_A);
      await flush();
      assert.equal(t.cache.stats().entries, 1);
      assert.ok(t.types().includes('governor_refused'));
    });

    it('refuses an unparsable URL before the governor', async () => {
      const t = setup(ok());
      await assert.rejects(
        t.cache.get('not a url'),
        (e: unknown) => e instanceof SafeFetchError && e.reason === 'invalid_url',
      );
      assert.equal(t.governor.stats().admitted, 0);
    });
  });

  describe('delete', () => {
    it('removes an entry, and a fetch under way when it is called is not stored', async () => {
      const { promise, resolve } = Promise.withResolvers<SafeResponse>();
      const t = setup(() => promise);
      const pending = t.cache.get(URL_A);
      await flush();
      t.cache.delete(URL_A);
      resolve(respond(200, { client_id: URL_A }));
      assert.equal((await pending).url, URL_A); // its caller still gets the document
      assert.equal(t.cache.stats().entries, 0);
    });
  });
});
