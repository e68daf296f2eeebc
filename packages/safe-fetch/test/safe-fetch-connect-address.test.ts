/**
 * The fetcher end to end over real TLS on loopback: the connect-time address check (CIMD-FETCH-5,
 * -6, -7, -14), the address dialled being the address checked.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { at, devFetch, refusal, serveFixtureOrigin, server } from './support/fixture-origin.ts';

serveFixtureOrigin();

import { closedPort, stubResolver } from './support/servers.ts';

describe('connect-time address check (CIMD-FETCH-5, -6, -7, -14)', () => {
  const loopbackAnswers = [['127.0.0.1'], ['127.0.0.2'], ['::ffff:127.0.0.1'], ['127.0.0.1', '127.0.0.2']];
  for (const answers of loopbackAnswers) {
    test(`without allowLoopback, ${answers.join(', ')} is refused before any connection`, async () => {
      const before = server.connections();
      const stub = stubResolver({ 'client.test': answers });
      const { safeFetch, refusals } = devFetch({ resolver: stub.resolver, allowLoopback: false });
      const error = await refusal(safeFetch(at('/doc')), 'special_purpose_address');
      assert.equal(error.address, answers[0]);
      assert.equal(error.url, at('/doc'));
      assert.match(error.range ?? '', /Loopback/);
      assert.equal(server.connections(), before, 'no TCP connection was made');
      assert.deepEqual(stub.calls, ['client.test']);
      assert.equal(refusals[0], error);
    });
  }

  test('trailing-dot hostnames go through the same check', async () => {
    const before = server.connections();
    const stub = stubResolver({ 'localhost.': ['127.0.0.1'] });
    const { safeFetch } = devFetch({ resolver: stub.resolver, allowLoopback: false });
    await refusal(safeFetch(at('/doc', 'localhost.')), 'special_purpose_address');
    assert.deepEqual(stub.calls, ['localhost.']);
    assert.equal(server.connections(), before);
  });

  // Rebinding-style answers: an acceptable first answer with a forbidden one behind it. The whole
  // name is refused; nothing is dialled (the first answer is loopback, so even a bug here could only
  // ever reach this test's own server).
  for (const forbidden of ['10.0.0.1', '169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1']) {
    test(`multi-answer [127.0.0.1, ${forbidden}] is refused as a whole, even with allowLoopback`, async () => {
      const before = server.connections();
      const stub = stubResolver({ 'client.test': ['127.0.0.1', forbidden] });
      const { safeFetch } = devFetch({ resolver: stub.resolver });
      const error = await refusal(safeFetch(at('/doc')), 'special_purpose_address');
      assert.equal(error.address, forbidden);
      assert.equal(server.connections(), before, 'no TCP connection was made');
    });
  }

  test('the IPv6 loopback works with allowLoopback when the server listens there', async () => {
    // Our server listens on 127.0.0.1 only: an ::1 answer passes the check and then fails to
    // connect, proving the check lets ::1 through and the dial goes where the answer said.
    const stub = stubResolver({ 'client.test': ['::1'] });
    const { safeFetch } = devFetch({ resolver: stub.resolver });
    const error = await refusal(safeFetch(at('/doc')), 'connect_failed');
    assert.match(String((error.cause as Error | undefined)?.message), /::1/);
  });

  test('dns failure is typed', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/doc', 'unknown.test')), 'dns_failure');
    const empty = devFetch({ resolver: async () => [] });
    await refusal(empty.safeFetch(at('/doc')), 'dns_failure');
  });

  test('a refused connection is connect_failed', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/doc', 'client.test', await closedPort())), 'connect_failed');
  });
});
