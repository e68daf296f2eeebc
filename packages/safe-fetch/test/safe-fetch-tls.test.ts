/**
 * The fetcher end to end over real TLS on loopback: certificates from an unknown CA or for another
 * name are refused, the injected CA is needed, and the trust is built once per fetcher.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import tlsModule from 'node:tls';
import { createSafeFetch } from '../src/index.ts';
import { at, devFetch, refusal, serveFixtureOrigin, untrusted } from './support/fixture-origin.ts';

serveFixtureOrigin();

import { stubResolver } from './support/servers.ts';

describe('TLS', () => {
  test('a certificate from an unknown CA is refused', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/doc', 'client.test', untrusted.port)), 'tls');
  });

  test('without the injected CA the test CA is not trusted', async () => {
    const stub = stubResolver({ 'client.test': ['127.0.0.1'] });
    const safeFetch = createSafeFetch({ resolver: stub.resolver, allowLoopback: true });
    await refusal(safeFetch(at('/doc')), 'tls');
  });

  test('the trust (CA list) is built once per fetcher, while every fetch still dials through the address check', async () => {
    // Issue #8: with `ca`, tls.connect built a SecureContext from ~150 roots on every connection.
    // A spy (not a stub) on the function tls.connect calls for that counts those builds.
    const { safeFetch, calls } = devFetch();
    const real = tlsModule.createSecureContext;
    let built = 0;
    tlsModule.createSecureContext = (...args: Parameters<typeof real>) => {
      built++;
      return real(...args);
    };
    try {
      for (let i = 0; i < 3; i++) assert.equal((await safeFetch(at('/doc'))).status, 200);
    } finally {
      tlsModule.createSecureContext = real;
    }
    assert.equal(built, 0, 'no SecureContext per connection');
    assert.deepEqual(calls, ['client.test', 'client.test', 'client.test'], 'one checked lookup per connect');
  });

  test('a certificate for another name is refused', async () => {
    const stub = stubResolver({ 'wrong.test': ['127.0.0.1'] });
    const { safeFetch } = devFetch({ resolver: stub.resolver });
    await refusal(safeFetch(at('/doc', 'wrong.test')), 'tls');
  });
});
