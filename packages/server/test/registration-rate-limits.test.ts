/** The registration endpoint's rate limits (issues #4, #18): per IP (IPv6 by /64), a global ceiling, per software and redirect host, audited once per window. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf, publicClient } from './support/registration.ts';
import { createTestServer } from './support/test-server.ts';

describe('registration rate limits', () => {
  it('refuses with 429, Retry-After and a JSON error, per IP', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { perIp: { limit: 2, windowSeconds: 60 } } },
    });
    assert.equal((await t.register(publicClient)).status, 201);
    assert.equal((await t.register(publicClient)).status, 201);
    const limited = await t.register(publicClient);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(await errorOf(limited), 'temporarily_unavailable');
    assert.equal((await t.register(publicClient, {}, { remoteAddress: '198.51.100.7' })).status, 201);
    t.advance(60_000);
    assert.equal((await t.register(publicClient)).status, 201);
  });

  it('keys an IPv6 source by its /64 and an IPv4-mapped one by its IPv4 address (issue #18)', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { perIp: { limit: 2, windowSeconds: 60 } } },
    });
    const from = (remoteAddress: string) => t.register(publicClient, {}, { remoteAddress });
    assert.equal((await from('2001:db8:1:2::1')).status, 201);
    // Another spelling and another interface id in the same /64: the same bucket.
    assert.equal((await from('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).status, 201);
    assert.equal((await from('2001:db8:1:2:ffff:ffff:ffff:ffff')).status, 429);
    // The next /64 is another source.
    assert.equal((await from('2001:db8:1:3::1')).status, 201);
    // An IPv4 peer seen through a dual-stack socket shares the IPv4 address's bucket.
    assert.equal((await from('198.51.100.30')).status, 201);
    assert.equal((await from('::ffff:198.51.100.30')).status, 201);
    assert.equal((await from('::ffff:c633:641e')).status, 429);
    const events = await t.store.audit.list({ type: 'client.registration_rate_limited' });
    assert.deepEqual(events.map((e) => e.detail?.key).sort(), ['198.51.100.30', '2001:db8:1:2::/64']);
  });

  it('holds a global ceiling over all sources together (issue #18)', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { global: { limit: 3, windowSeconds: 60 } } },
    });
    const ip = (n: number) => ({ remoteAddress: `203.0.113.${n}` });
    for (let n = 1; n <= 3; n++) assert.equal((await t.register(publicClient, {}, ip(n))).status, 201);
    const limited = await t.register(publicClient, {}, ip(4));
    assert.equal(limited.status, 429);
    assert.equal(await errorOf(limited), 'temporarily_unavailable');
    // An embedder that passes no address is under the ceiling too.
    assert.equal((await t.register(publicClient, {}, {})).status, 429);
    const [event] = await t.store.audit.list({ type: 'client.registration_rate_limited' });
    assert.equal(event?.detail?.key_kind, 'global');
    t.advance(20_000);
    assert.equal((await t.register(publicClient, {}, ip(5))).status, 201);
  });

  it('does not let a source refused by its own limit spend the global ceiling', async () => {
    const t = await createTestServer({
      registration: {
        rateLimits: { perIp: { limit: 1, windowSeconds: 60 }, global: { limit: 2, windowSeconds: 60 } },
      },
    });
    const flood = { remoteAddress: '198.51.100.9' };
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    for (let i = 0; i < 10; i++) assert.equal((await t.register(publicClient, {}, flood)).status, 429);
    assert.equal((await t.register(publicClient, {}, { remoteAddress: '198.51.100.10' })).status, 201);
  });

  it('keys by software_id and redirect host, whatever the source address', async () => {
    const t = await createTestServer({
      registration: {
        rateLimits: {
          perSoftware: { limit: 1, windowSeconds: 60 },
          perRedirectHost: { limit: 2, windowSeconds: 60 },
        },
        recogniseReRegistration: false,
      },
    });
    const ip = (n: number) => ({ remoteAddress: `203.0.113.${n}` });
    assert.equal((await t.register({ ...publicClient, software_id: 's1' }, {}, ip(1))).status, 201);
    assert.equal((await t.register({ ...publicClient, software_id: 's1' }, {}, ip(2))).status, 429);
    // The redirect host app.example.test has now been charged twice (the 429 counted too).
    assert.equal((await t.register(publicClient, {}, ip(3))).status, 429);
    assert.equal(
      (await t.register({ ...publicClient, redirect_uris: ['http://127.0.0.1/cb'] }, {}, ip(4))).status,
      201,
    );
    // Each refused key is audited once: software s1 and the redirect host.
    const events = await t.store.audit.list({ type: 'client.registration_rate_limited' });
    assert.deepEqual(events.map((e) => `${String(e.detail?.key_kind)}:${String(e.detail?.key)}`).sort(), [
      'redirect_host:app.example.test',
      'software:s1',
    ]);
  });

  it('audits a flood once per key and window (issue #4: every refusal, bounded)', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { perIp: { limit: 2, windowSeconds: 60 } } },
    });
    const flood = { remoteAddress: '198.51.100.9' };
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    for (let i = 0; i < 100; i++) {
      assert.equal((await t.register(publicClient, {}, flood)).status, 429);
    }
    const events = () => t.store.audit.list({ type: 'client.registration_rate_limited' });
    const [first, ...others] = await events();
    assert.equal(others.length, 0, 'one event for 100 refusals');
    assert.equal(first?.reason, 'rate_limited');
    // The address is kept: the audit log is an operator log (docs/decisions/0009-dcr.md §9).
    assert.deepEqual(first?.detail, {
      key_kind: 'ip',
      key: '198.51.100.9',
      retry_after: 30,
      remote_address: '198.51.100.9',
    });
    // Rate-limit refusals never become registration_refused events (that one is per request).
    assert.equal((await t.store.audit.list({ type: 'client.registration_refused' })).length, 0);

    // After the window the key has recovered; refused again, it gets a second event, which
    // reports how many refusals the first window suppressed.
    t.advance(60_000);
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    assert.equal((await t.register(publicClient, {}, flood)).status, 429);
    const after = await events();
    assert.equal(after.length, 2);
    assert.equal(after[0]?.detail?.previous_window_suppressed, 99);
    // Another address is another key.
    const other = { remoteAddress: '198.51.100.10' };
    for (let i = 0; i < 3; i++) await t.register(publicClient, {}, other);
    assert.equal((await events()).length, 3);
  });
});
