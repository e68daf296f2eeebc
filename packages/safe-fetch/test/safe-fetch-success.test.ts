/**
 * The fetcher end to end over real TLS on loopback, what succeeds: JSON from the pinned, checked
 * address, the JSON media types (CIMD-FETCH-12), the request headers it sends, a body of exactly
 * maxBytes, expectJson: false, identity encoding, caMode replace. `client.test` resolves to 127.0.0.1
 * by injection.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConditionalHeaders, DEFAULT_MAX_BYTES, DEFAULT_USER_AGENT } from '../src/index.ts';
import { at, DOC, devFetch, serveFixtureOrigin, server } from './support/fixture-origin.ts';

serveFixtureOrigin();

describe('success', () => {
  test('200 JSON over TLS from the pinned, checked address', async () => {
    const { safeFetch, calls } = devFetch();
    const res = await safeFetch(at('/doc'));
    assert.equal(res.status, 200);
    assert.equal(res.url, at('/doc'));
    assert.deepEqual(res.json(), JSON.parse(DOC));
    assert.equal(res.text(), DOC);
    assert.ok(res.body instanceof Uint8Array);
    assert.equal(res.headers.get('content-type'), 'application/json');
    // One resolution, and the socket is connected to the address that resolution returned.
    assert.deepEqual(calls, ['client.test']);
    assert.equal(res.remoteAddress, '127.0.0.1');
  });

  test('application/json with parameters and application/<x>+json are JSON (CIMD-FETCH-12)', async () => {
    const { safeFetch } = devFetch();
    for (const path of ['/doc-charset', '/jwks', '/cimd']) {
      assert.equal((await safeFetch(at(path))).status, 200, path);
    }
  });

  test('request carries a fixed User-Agent, Accept, identity encoding, and no credentials', async () => {
    const { safeFetch } = devFetch();
    const sent = (await safeFetch(at('/echo'))).json() as Record<string, string>;
    assert.equal(sent['user-agent'], DEFAULT_USER_AGENT);
    assert.equal(sent.accept, 'application/json');
    assert.equal(sent['accept-encoding'], 'identity');
    assert.equal(sent.host, `client.test:${server.port}`);
    for (const name of ['cookie', 'authorization', 'proxy-authorization', 'if-none-match']) {
      assert.equal(sent[name], undefined, name);
    }
    const custom = devFetch({ userAgent: 'Gatehouse-test/1', accept: 'application/cimd+json' });
    // Only the two validators are taken from the caller; anything else smuggled in is not sent.
    const smuggled = {
      'if-none-match': '"x"',
      authorization: 'Bearer t',
      cookie: 'a=b',
    } as ConditionalHeaders;
    const again = (await custom.safeFetch(at('/echo'), { headers: smuggled })).json() as Record<
      string,
      string
    >;
    assert.equal(again['if-none-match'], '"x"');
    assert.equal(again.authorization, undefined);
    assert.equal(again.cookie, undefined);
    assert.equal(again['user-agent'], 'Gatehouse-test/1');
    assert.equal(again.accept, 'application/cimd+json');
  });

  test('a body of exactly maxBytes is accepted', async () => {
    const { safeFetch } = devFetch();
    const res = await safeFetch(at('/chunked-exact'));
    assert.equal(res.body.byteLength, DEFAULT_MAX_BYTES);
  });

  test('expectJson: false lets other media types through (logos)', async () => {
    const { safeFetch } = devFetch();
    const res = await safeFetch(at('/html'), { expectJson: false, accept: 'text/html' });
    assert.equal(res.text(), '<html></html>');
  });

  test('Content-Encoding: identity is accepted', async () => {
    const { safeFetch } = devFetch();
    assert.equal((await safeFetch(at('/identity'))).status, 200);
  });

  test('caMode replace trusts only the given CA', async () => {
    const { safeFetch } = devFetch({ caMode: 'replace' });
    assert.equal((await safeFetch(at('/doc'))).status, 200);
  });
});
