/**
 * Refusals decided from the URL alone (CIMD-FETCH-9 scheme, userinfo, IP-literal hosts under
 * CIMD-FETCH-5/-6), through the public fetcher with a spy dispatcher: each must be refused before
 * anything is dispatched, resolved or dialled.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSafeFetch, type SafeFetchError, type SafeFetchReason } from '../src/index.ts';
import { SpyDispatcher, stubResolver } from './support/servers.ts';

function harness(allowLoopback = false) {
  const dispatcher = new SpyDispatcher();
  const stub = stubResolver({});
  const refusals: [SafeFetchError, string][] = [];
  const safeFetch = createSafeFetch({
    dispatcher,
    resolver: stub.resolver,
    allowLoopback,
    onRefusal: (error, url) => refusals.push([error, url]),
  });
  return { safeFetch, dispatcher, resolverCalls: stub.calls, refusals };
}

async function expectRefusedBeforeIo(url: string, reason: SafeFetchReason, allowLoopback = false) {
  const h = harness(allowLoopback);
  const error = await h.safeFetch(url).then(
    () => assert.fail(`${url} was fetched`),
    (e: unknown) => e as SafeFetchError,
  );
  assert.equal(error.name, 'SafeFetchError');
  assert.equal(error.reason, reason, `${url}: ${error.message}`);
  assert.equal(h.dispatcher.dispatched, 0, 'nothing dispatched');
  assert.deepEqual(h.resolverCalls, [], 'nothing resolved');
  assert.equal(h.refusals.length, 1, 'onRefusal told once');
  assert.equal(h.refusals[0]?.[0], error);
  return error;
}

describe('scheme: https only (CIMD-FETCH-9)', () => {
  const urls = [
    'http://client.test/doc',
    'file:///etc/passwd',
    'data:application/json,{}',
    'javascript:alert(1)',
    'ftp://client.test/doc',
    'ws://client.test/',
    'wss://client.test/',
    'blob:https://client.test/0b1d',
    'gopher://client.test:70/',
    'HTTP://client.test/',
  ];
  for (const url of urls) {
    test(url, async () => {
      const error = await expectRefusedBeforeIo(url, 'scheme_not_https');
      assert.ok(error.value?.endsWith(':'));
    });
  }
  test('not a URL at all', async () => {
    await expectRefusedBeforeIo('client.test/doc', 'invalid_url');
  });
});

describe('no userinfo', () => {
  for (const url of [
    'https://user:pass@client.test/',
    'https://user@client.test/',
    'https://:pass@client.test/',
  ]) {
    test(url, async () => {
      await expectRefusedBeforeIo(url, 'userinfo');
    });
  }
});

describe('IP-literal hosts are checked before connecting (no lookup will run for them)', () => {
  const cases: [url: string, address: string][] = [
    ['https://127.0.0.1/', '127.0.0.1'],
    ['https://127.0.0.1./', '127.0.0.1'], // trailing dot
    ['https://2130706433/', '127.0.0.1'], // decimal
    ['https://0x7f.1/', '127.0.0.1'], // hex, short form
    ['https://017700000001/', '127.0.0.1'], // octal
    ['https://0x7f000001/', '127.0.0.1'],
    ['https://127.1/', '127.0.0.1'],
    ['https://0/', '0.0.0.0'],
    ['https://10.0.0.1/', '10.0.0.1'],
    ['https://0xa.0.0.1/', '10.0.0.1'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['https://0251.0376.0251.0376/', '169.254.169.254'],
    ['https://100.64.0.1/', '100.64.0.1'],
    ['https://192.168.0.1:8443/', '192.168.0.1'],
    ['https://224.0.0.1/', '224.0.0.1'],
    ['https://255.255.255.255/', '255.255.255.255'],
    ['https://[::1]/', '::1'],
    ['https://[0:0:0:0:0:0:0:1]/', '::1'],
    ['https://[::]/', '::'],
    ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1'], // WHATWG serialises mapped IPv4 as hex
    ['https://[::ffff:7f00:1]/', '::ffff:7f00:1'],
    ['https://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe'],
    ['https://[64:ff9b::a00:1]/', '64:ff9b::a00:1'],
    ['https://[64:ff9b::10.0.0.1]/', '64:ff9b::a00:1'],
    ['https://[2002:a00:1::]/', '2002:a00:1::'],
    ['https://[::127.0.0.1]/', '::7f00:1'],
    ['https://[fe80::1]/', 'fe80::1'],
    ['https://[fd12:3456::1]/', 'fd12:3456::1'],
    ['https://[2001:db8::1]/', '2001:db8::1'],
    ['https://[ff02::1]/', 'ff02::1'],
  ];
  for (const [url, address] of cases) {
    test(url, async () => {
      const error = await expectRefusedBeforeIo(url, 'special_purpose_address');
      assert.equal(error.address, address);
      assert.ok(error.range);
      assert.equal(error.url, new URL(url).href);
    });
  }

  test('allowLoopback opens 127.0.0.1 and [::1] literals, nothing else', async () => {
    for (const url of ['https://127.0.0.1/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/']) {
      const h = harness(true);
      // The literal passes the check, so the request reaches the (spy) dispatcher.
      await assert.rejects(h.safeFetch(url));
      assert.equal(h.dispatcher.dispatched, 1, url);
    }
    for (const url of ['https://10.0.0.1/', 'https://[64:ff9b::7f00:1]/', 'https://[2002:7f00:1::]/']) {
      await expectRefusedBeforeIo(url, 'special_purpose_address', true);
    }
  });

  test('zone ids are not valid in URLs', async () => {
    await expectRefusedBeforeIo('https://[fe80::1%25eth0]/', 'invalid_url');
  });
});
