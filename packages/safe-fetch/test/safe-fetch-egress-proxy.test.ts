/** The fetcher end to end over real TLS on loopback through an egress proxy (CIMD-FETCH-8): CONNECT, and the checks still applied. */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSafeFetch } from '../src/index.ts';
import { at, caPem, DOC, refusal, serveFixtureOrigin, server } from './support/fixture-origin.ts';

serveFixtureOrigin();

import { type ConnectProxy, startConnectProxy, stubResolver } from './support/servers.ts';

describe('egress proxy (CIMD-FETCH-8)', () => {
  let proxy: ConnectProxy;
  before(async () => {
    proxy = await startConnectProxy();
  });
  after(async () => {
    await proxy.close();
  });

  test('fetches through a CONNECT proxy that does the name resolution', async () => {
    const stub = stubResolver({});
    const safeFetch = createSafeFetch({ proxy: proxy.url, ca: caPem, resolver: stub.resolver });
    const res = await safeFetch(at('/doc'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), JSON.parse(DOC));
    assert.deepEqual(proxy.targets, [`client.test:${server.port}`]);
    assert.deepEqual(stub.calls, [], 'the proxy resolved the name, not us');
    assert.equal(res.remoteAddress, undefined);
  });

  test('URL-level checks still run in proxy mode', async () => {
    const safeFetch = createSafeFetch({ proxy: proxy.url, ca: caPem });
    const seen = proxy.targets.length;
    await refusal(safeFetch('https://10.0.0.1/doc'), 'special_purpose_address');
    await refusal(safeFetch('https://[::ffff:a9fe:a9fe]/'), 'special_purpose_address');
    await refusal(safeFetch('http://client.test/doc'), 'scheme_not_https');
    assert.equal(proxy.targets.length, seen, 'nothing reached the proxy');
  });

  test('redirects and status rules apply through the proxy too', async () => {
    const safeFetch = createSafeFetch({ proxy: proxy.url, ca: caPem });
    const error = await refusal(safeFetch(at('/redirect')), 'redirect_refused');
    assert.equal(error.location, 'https://elsewhere.test/doc');
  });
});
