/**
 * The fetcher end to end over real TLS on loopback, the response: status (CIMD-FETCH-3, CIMD-FETCH-4),
 * body limits and decompression (CIMD-FETCH-10, CIMD-FETCH-12), and one deadline over connect,
 * headers and body.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MAX_BYTES } from '../src/index.ts';
import { at, devFetch, refusal, serveFixtureOrigin, server } from './support/fixture-origin.ts';

serveFixtureOrigin();

describe('status (CIMD-FETCH-3, CIMD-FETCH-4)', () => {
  test('a redirect is refused, naming the Location it did not follow', async () => {
    const { safeFetch, refusals } = devFetch();
    const cases: [string, number, string][] = [
      ['/redirect', 302, 'https://elsewhere.test/doc'],
      ['/redirect-301', 301, '/moved'],
      ['/redirect-307', 307, 'https://169.254.169.254/'],
      ['/redirect-308', 308, 'https://client.test/doc'],
    ];
    for (const [path, status, location] of cases) {
      const error = await refusal(safeFetch(at(path)), 'redirect_refused');
      assert.equal(error.status, status);
      assert.equal(error.location, location);
      assert.match(error.message, new RegExp(location.replaceAll('.', '\\.')));
    }
    assert.equal(refusals.length, cases.length);
    assert.ok(refusals.every((e) => e.reason === 'redirect_refused'));
  });

  for (const status of [201, 202, 204, 206, 400, 401, 403, 404, 410, 429, 500, 502, 503]) {
    test(`HTTP ${status} is an error carrying the status`, async () => {
      const { safeFetch } = devFetch();
      const error = await refusal(safeFetch(at(`/status-${status}`)), 'status_not_200');
      assert.equal(error.status, status);
    });
  }

  test('304 is returned only to a conditional request', async () => {
    const { safeFetch } = devFetch();
    const first = await safeFetch(at('/not-modified'));
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag') ?? '';
    const revalidated = await safeFetch(at('/not-modified'), { headers: { 'if-none-match': etag } });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.byteLength, 0);
    assert.equal(revalidated.headers.get('etag'), '"v1"');
    const byDate = await safeFetch(at('/not-modified'), {
      headers: { 'if-modified-since': 'Tue, 01 Jul 2025 00:00:00 GMT' },
    });
    assert.equal(byDate.status, 304);
    const error = await refusal(safeFetch(at('/always-304')), 'status_not_200');
    assert.equal(error.status, 304);
  });
});

describe('body (CIMD-FETCH-10, CIMD-FETCH-12, decompression)', () => {
  test('a chunked body over the cap is cut while streaming', async () => {
    const { safeFetch } = devFetch();
    const error = await refusal(safeFetch(at('/chunked-over')), 'body_too_large');
    assert.equal(error.limit, DEFAULT_MAX_BYTES);
    await refusal(safeFetch(at('/chunked-plus-one')), 'body_too_large');
  });

  test('the cap is configurable per fetcher and per call', async () => {
    const small = devFetch({ maxBytes: 50 });
    const error = await refusal(small.safeFetch(at('/doc')), 'body_too_large');
    assert.equal(error.limit, 50);
    const res = await small.safeFetch(at('/chunked-over'), { maxBytes: 1024 * 1024 });
    assert.equal(res.body.byteLength, DEFAULT_MAX_BYTES + 1024 * 64);
  });

  test('a Content-Length over the cap is refused before the body is read', async () => {
    const { safeFetch } = devFetch();
    const error = await refusal(safeFetch(at('/length-over'), { deadlineMs: 30_000 }), 'body_too_large');
    assert.match(error.message, /Content-Length 10000000/);
  });

  test('non-JSON media types are refused when JSON is expected', async () => {
    const { safeFetch } = devFetch();
    for (const path of ['/html', '/json-text', '/no-type']) {
      const error = await refusal(safeFetch(at(path)), 'content_type');
      assert.equal(typeof error.value, 'string', path);
    }
  });

  test('a compressed body is refused even though identity was asked for', async () => {
    const { safeFetch } = devFetch();
    assert.equal((await refusal(safeFetch(at('/gzip')), 'content_encoding')).value, 'gzip');
    assert.equal((await refusal(safeFetch(at('/br')), 'content_encoding')).value, 'br');
  });
});

describe('one deadline over connect, headers and body', () => {
  test('a server trickling bytes is cut at the deadline', async () => {
    const { safeFetch } = devFetch({ deadlineMs: 300 });
    await refusal(safeFetch(at('/trickle')), 'deadline_exceeded');
  });

  test('a server that never answers is cut at the deadline', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/silent'), { deadlineMs: 300 }), 'deadline_exceeded');
  });

  test('a resolver that never answers is cut at the deadline, and nothing is dialled', async () => {
    const before = server.connections();
    const { safeFetch } = devFetch({ resolver: () => new Promise(() => undefined), deadlineMs: 300 });
    await refusal(safeFetch(at('/doc')), 'deadline_exceeded');
    assert.equal(server.connections(), before);
  });

  test("the caller's signal aborts the fetch", async () => {
    const { safeFetch } = devFetch();
    const controller = new AbortController();
    const pending = safeFetch(at('/silent'), { signal: controller.signal, deadlineMs: 30_000 });
    setTimeout(() => controller.abort(new Error('shutdown')), 50);
    await refusal(pending, 'aborted');
    await refusal(safeFetch(at('/doc'), { signal: AbortSignal.abort() }), 'aborted');
  });
});
