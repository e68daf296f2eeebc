/**
 * Stale-if-error in the CIMD document cache (issue #14, item 5; decision 0035, after RFC 5861 §4):
 * when the origin fails at revalidation, the last good version keeps serving for a bounded grace
 * past its expiry; an answer of the origin (404, an invalid body) is never served stale.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SafeFetchError, type SafeFetchInit, type SafeResponse } from '@gatehouse-oauth/safe-fetch';
import { createFetchGovernor } from '../src/cimd/fetch-governor.ts';
import {
  type CacheEvent,
  createDocumentCache,
  type DocumentCacheOptions,
} from '../src/cimd/metadata-document-cache.ts';
import { isOriginFailure, staleIfErrorUntil } from '../src/cimd/stale-if-error.ts';

const URL_A = 'https://app.example/client.json';
const T0 = Date.parse('2026-06-01T00:00:00Z');
const MIN = 5 * 60_000;
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const RETRY = 30_000;

interface Doc {
  client_id: string;
  v?: number;
}

function respond(status: 200 | 304, body: unknown, headers: Record<string, string> = {}): SafeResponse {
  const text = status === 304 ? '' : JSON.stringify(body);
  return {
    status,
    url: URL_A,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    body: new TextEncoder().encode(text),
    remoteAddress: undefined,
    text: () => text,
    json: () => JSON.parse(text) as unknown,
  };
}

const down = (url: string) => new SafeFetchError('connect_failed', 'connection refused', { url });
const status = (url: string, code: number) =>
  new SafeFetchError('status_not_200', `HTTP ${code}`, { url, status: code });

/**
 * A cache whose origin answers by `origin.mode`: `ok` (version `origin.v`, max-age 300 s, an ETag),
 * or a failure the test picks.
 */
function setup(overrides: Partial<DocumentCacheOptions<Doc>> = {}) {
  let now = T0;
  const clock = () => now;
  const origin: {
    mode: 'ok' | 'down' | '503' | '404' | 'invalid' | 'tls';
    v: number;
    headers: Record<string, string>;
  } = { mode: 'ok', v: 1, headers: { 'cache-control': 'max-age=300' } };
  const calls: (SafeFetchInit | undefined)[] = [];
  const events: CacheEvent[] = [];
  const cache = createDocumentCache<Doc>({
    fetch: async (input, init) => {
      const url = String(input);
      calls.push(init);
      switch (origin.mode) {
        case 'down':
          throw down(url);
        case '503':
          throw status(url, 503);
        case '404':
          throw status(url, 404);
        case 'tls':
          throw new SafeFetchError('tls', 'certificate has expired', { url });
        case 'invalid':
          return respond(200, { client_id: 'https://elsewhere.example/' });
        default:
          return respond(200, { client_id: url, v: origin.v }, { etag: `"v${origin.v}"`, ...origin.headers });
      }
    },
    validate: (body, url) => {
      const doc = body as Doc;
      if (doc.client_id !== url) throw new Error('client_id mismatch');
      return doc;
    },
    governor: createFetchGovernor({ clock }),
    clock,
    staleIfErrorMs: DAY,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return {
    cache,
    origin,
    calls,
    events,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('stale-if-error (decision 0035)', () => {
  it('says which failures are the origin failing: no answer at all, or a 5xx', () => {
    const url = URL_A;
    for (const error of [
      down(url),
      new SafeFetchError('dns_failure', 'ENOTFOUND', { url }),
      new SafeFetchError('deadline_exceeded', 'deadline', { url }),
      new SafeFetchError('network_error', 'reset', { url }),
      status(url, 500),
      status(url, 503),
      status(url, 599),
    ])
      assert.equal(isOriginFailure(error), true, error.message);
    for (const error of [
      status(url, 404),
      status(url, 410),
      status(url, 429),
      new SafeFetchError('tls', 'bad certificate', { url }),
      new SafeFetchError('special_purpose_address', '10.0.0.1', { url }),
      new SafeFetchError('redirect_refused', '302', { url }),
      new SafeFetchError('content_type', 'text/html', { url }),
      new Error('invalid document'),
    ])
      assert.equal(isOriginFailure(error), false, error.message);
    assert.equal(staleIfErrorUntil(T0, false, DAY), T0 + DAY);
    assert.equal(staleIfErrorUntil(T0, true, DAY), T0, 'no grace where the origin forbids stale use');
  });

  it('serves the last good version past its expiry while the origin is down, marked once, then recovers', async () => {
    const t = setup();
    const first = await t.cache.get(URL_A);
    assert.equal(first.staleIfErrorUntil, first.expiresAt + DAY);
    t.origin.mode = 'down';
    t.advance(MIN + 60_000); // past expiry and the stale-while-revalidate window
    const stale = await t.cache.get(URL_A);
    assert.equal(stale.body, first.body);
    assert.deepEqual(stale.originFailure, { since: T0 + MIN + 60_000, reason: 'connect_failed' });
    assert.deepEqual(t.calls.at(-1)?.headers, { 'if-none-match': '"v1"' }, 'asked conditionally');
    assert.equal(t.calls.length, 2);

    // Within the retry interval: served from memory, the same marked copy, no fetch.
    t.advance(RETRY - 1);
    assert.equal(await t.cache.get(URL_A), stale);
    assert.equal(t.cache.peek(URL_A), stale);
    assert.equal(t.calls.length, 2);
    // Then one retry in the background; the caller is answered at once.
    t.advance(1);
    assert.equal(await t.cache.get(URL_A), stale);
    await flush();
    assert.equal(t.calls.length, 3);
    assert.equal(t.cache.stats().staleIfErrorServed, 4);
    assert.deepEqual(
      t.events.filter((event) => event.type === 'stale_if_error').map((event) => event.reason),
      ['connect_failed', 'connect_failed', 'connect_failed', 'connect_failed'],
    );

    // The origin is back: the next retry replaces the entry, without the mark.
    t.origin.mode = 'ok';
    t.origin.v = 2;
    t.advance(RETRY);
    await t.cache.get(URL_A);
    await flush();
    const fresh = await t.cache.get(URL_A);
    assert.equal(fresh.value.v, 2);
    assert.equal(fresh.originFailure, undefined);
  });

  it('stops after the grace: the next get asks the origin in the foreground and fails, the entry dropped', async () => {
    const t = setup({ staleIfErrorMs: HOUR });
    const first = await t.cache.get(URL_A);
    t.origin.mode = '503';
    t.advance(MIN + 60_000);
    assert.ok((await t.cache.get(URL_A)).originFailure);
    t.advance(first.staleIfErrorUntil - t.now() - 1);
    assert.ok((await t.cache.get(URL_A)).originFailure, 'the last millisecond of the grace');
    t.advance(1);
    assert.equal(t.cache.peek(URL_A), undefined);
    await assert.rejects(
      t.cache.get(URL_A),
      (error: unknown) => error instanceof SafeFetchError && error.status === 503,
    );
    assert.equal(t.cache.stats().entries, 0);
  });

  for (const mode of ['404', 'invalid', 'tls'] as const)
    it(`never serves stale what the origin refused or could not prove (${mode})`, async () => {
      const t = setup();
      await t.cache.get(URL_A);
      t.origin.mode = mode;
      t.advance(MIN + 60_000);
      await assert.rejects(t.cache.get(URL_A));
      assert.equal(t.cache.stats().entries, 0);
      assert.equal(t.cache.stats().staleIfErrorServed, 0);
    });

  it('gives no grace where the origin forbids stale use, nor with a grace of 0', async () => {
    for (const [overrides, headers] of [
      [{}, { 'cache-control': 'max-age=300, must-revalidate' }],
      [{ staleIfErrorMs: 0 }, { 'cache-control': 'max-age=300' }],
    ] as const) {
      const t = setup(overrides);
      t.origin.headers = headers;
      const first = await t.cache.get(URL_A);
      assert.equal(first.staleIfErrorUntil, first.expiresAt);
      t.origin.mode = 'down';
      t.advance(MIN + 60_000);
      await assert.rejects(t.cache.get(URL_A), SafeFetchError);
      assert.equal(t.cache.stats().entries, 0);
    }
  });

  it('a failure before expiry keeps the version fresh until then, not yet served stale; a forced refresh waits for the retry', async () => {
    const t = setup({ forceRefreshCooldownMs: 0 });
    await t.cache.get(URL_A);
    t.origin.mode = 'down';
    t.advance(MIN / 2);
    const kept = await t.cache.get(URL_A, { forceRefresh: true });
    assert.deepEqual(kept.originFailure, { since: T0 + MIN / 2, reason: 'connect_failed' });
    assert.equal(t.cache.stats().staleIfErrorServed, 0, 'still fresh');
    assert.equal(t.calls.length, 2);
    assert.equal(await t.cache.get(URL_A, { forceRefresh: true }), kept, 'cooled down until the retry');
    assert.equal(t.calls.length, 2);
    await t.cache.get(URL_A, { forceRefresh: true, ignoreCooldown: true });
    assert.equal(t.calls.length, 3, "an operator's refresh is not cooled down");
    t.advance(MIN);
    assert.equal((await t.cache.get(URL_A)).originFailure?.since, T0 + MIN / 2, 'one episode');
    assert.equal(t.cache.stats().staleIfErrorServed, 1);
  });

  it('an entry deleted while its revalidation fails is not brought back', async () => {
    const t = setup();
    await t.cache.get(URL_A);
    t.origin.mode = 'down';
    t.advance(MIN + 60_000);
    const pending = t.cache.get(URL_A);
    t.cache.delete(URL_A);
    await assert.rejects(pending, SafeFetchError);
    assert.equal(t.cache.stats().entries, 0);
  });

  it('adopts an expired shared version within its grace as a fallback, and asks the origin conditionally', async () => {
    const t = setup();
    const shared = {
      body: new TextEncoder().encode(JSON.stringify({ client_id: URL_A, v: 7 })),
      fetchedAt: T0 - HOUR,
      expiresAt: T0 - HOUR + MIN,
      etag: '"v7"',
      staleIfErrorUntil: T0 - HOUR + MIN + DAY,
    };
    assert.equal(await t.cache.adopt(URL_A, shared), undefined, 'not fresh: not returned');
    t.origin.mode = 'down';
    const served = await t.cache.get(URL_A);
    assert.equal(served.value.v, 7);
    assert.equal(served.originFailure?.reason, 'connect_failed');
    assert.deepEqual(t.calls.at(-1)?.headers, { 'if-none-match': '"v7"' });

    // Past its grace, or without one recorded, nothing is kept.
    const late = setup();
    assert.equal(await late.cache.adopt(URL_A, { ...shared, staleIfErrorUntil: T0 - 1 }), undefined);
    const { staleIfErrorUntil: _none, ...withoutGrace } = shared;
    assert.equal(await late.cache.adopt(URL_A, withoutGrace), undefined);
    assert.equal(late.cache.stats().entries, 0);
  });

  it('adopts a shared version confirmed later than the fresh one it holds', async () => {
    const t = setup();
    const mine = await t.cache.get(URL_A);
    const later = {
      body: new TextEncoder().encode(JSON.stringify({ client_id: URL_A, v: 2 })),
      fetchedAt: T0 + 1000,
      expiresAt: mine.expiresAt + 1000,
    };
    assert.equal((await t.cache.adopt(URL_A, later))?.value.v, 2);
    assert.equal((await t.cache.adopt(URL_A, { ...later, expiresAt: mine.expiresAt }))?.value.v, 2);
  });
});
