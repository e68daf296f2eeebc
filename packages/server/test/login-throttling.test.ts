/**
 * Issue #18 finding 3: "No login throttling: 40 wrong passwords, then the right one, signed in".
 * Failed sign-ins are throttled per account name and per source address (users/login-throttle.ts,
 * decision 0030), with the wrong-password page as the only answer (no user enumeration), one
 * `login.throttled` audit event per lock, and a metric.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage, type Page, UserAgent } from '../../../test/support/user-agent.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);
const MINUTE = 60_000;

/** A browser at `remoteAddress` (what the transport would pass as RequestInfo). */
function browserAt(t: TestServer, remoteAddress = '198.51.100.7'): UserAgent {
  return new UserAgent((url, init) => t.server.fetch(new Request(url, init), { remoteAddress }));
}

async function loginPage(t: TestServer, ua: UserAgent): Promise<Page> {
  const page = await ua.navigate(t.authorizationUrl(), atClient);
  assert.ok(isPage(page));
  return page;
}

/** Submits the login form; the resulting page (a login page again, or the consent page). */
async function signIn(ua: UserAgent, page: Page, username: string, password: string): Promise<Page> {
  const next = await ua.submit(page, { username, password }, atClient);
  assert.ok(isPage(next));
  return next;
}

/** Signed in: the browser was sent on to the consent page, not shown the login form again. */
const signedIn = (page: Page) => page.status === 200 && !/name="password"/.test(page.html);
/** The page without its per-request values (CSRF token, echoed username, interaction id). */
const shape = (page: Page) =>
  page.html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"]+\//g, '/interaction/ID/');

async function throttledCount(t: TestServer, kind: string): Promise<number> {
  const metric = t.server.metrics.getSingleMetric('gatehouse_login_throttled_total');
  assert.ok(metric !== undefined, 'gatehouse_login_throttled_total is registered');
  const { values } = await metric.get();
  return values.filter((v) => v.labels.key_kind === kind).reduce((sum, v) => sum + v.value, 0);
}

describe('login throttling (issue #18 finding 3)', () => {
  it('40 wrong passwords, then the right one: not signed in; after the window: signed in', async () => {
    const t = await createTestServer();
    const ua = browserAt(t);
    let page = await loginPage(t, ua);
    for (let i = 0; i < 40; i++) {
      page = await signIn(ua, page, 'alice', `wrong-${i}`);
      assert.equal(page.status, 401);
    }
    const wrongPage = page;
    page = await signIn(ua, page, 'alice', PASSWORD);
    assert.equal(signedIn(page), false);
    assert.equal(page.status, 401);
    assert.equal(shape(page), shape(wrongPage), 'the wrong-password page, nothing else');
    assert.equal(page.headers.get('retry-after'), null);
    assert.deepEqual(t.lastOutcome(), {
      error: 'access_denied',
      reason: 'login_throttled',
      clientId: 'public-app',
    });
    // Only the first 5 attempts reached the authenticator; the rest were refused before it.
    assert.equal((await t.store.audit.list({ type: 'login.failed' })).length, 5);
    assert.equal((await t.store.audit.list({ type: 'login.succeeded' })).length, 0);

    t.advance(15 * MINUTE);
    const fresh = await loginPage(t, ua);
    assert.ok(signedIn(await signIn(ua, fresh, 'alice', PASSWORD)));
  });

  it('backs off: after the burst, one more attempt per window / limit', async () => {
    const t = await createTestServer();
    const ua = browserAt(t);
    let page = await loginPage(t, ua);
    for (let i = 0; i < 5; i++) page = await signIn(ua, page, 'alice', `wrong-${i}`);
    page = await signIn(ua, page, 'alice', PASSWORD);
    assert.equal(t.lastOutcome()?.reason, 'login_throttled');
    t.advance(3 * MINUTE - 1_000);
    page = await signIn(ua, page, 'alice', PASSWORD);
    assert.equal(t.lastOutcome()?.reason, 'login_throttled');
    t.advance(1_000); // 15 min / 5 = one attempt every 3 minutes
    assert.ok(signedIn(await signIn(ua, page, 'alice', PASSWORD)));
  });

  it('answers an unknown account exactly as a known one at every step', async () => {
    const t = await createTestServer();
    const known = browserAt(t, '198.51.100.1');
    const unknown = browserAt(t, '198.51.100.2');
    let knownPage = await loginPage(t, known);
    let unknownPage = await loginPage(t, unknown);
    for (let i = 0; i < 8; i++) {
      knownPage = await signIn(known, knownPage, 'alice', `wrong-${i}`);
      const knownReason = t.lastOutcome()?.reason;
      unknownPage = await signIn(unknown, unknownPage, 'nobody-here', `wrong-${i}`);
      assert.equal(t.lastOutcome()?.reason, knownReason, `attempt ${i + 1}`);
      assert.equal(unknownPage.status, knownPage.status, `attempt ${i + 1}`);
      assert.equal(shape(unknownPage), shape(knownPage), `attempt ${i + 1}`);
      assert.deepEqual(
        [...unknownPage.headers.keys()].sort(),
        [...knownPage.headers.keys()].sort(),
        `attempt ${i + 1}`,
      );
    }
    assert.equal(t.lastOutcome()?.reason, 'login_throttled');
  });

  it('counts account names case-insensitively, whatever the source', async () => {
    const t = await createTestServer();
    for (let i = 0; i < 5; i++) {
      const ua = browserAt(t, `203.0.113.${i + 1}`);
      await signIn(ua, await loginPage(t, ua), i % 2 === 0 ? 'ALICE' : 'alice', 'wrong');
    }
    const ua = browserAt(t, '203.0.113.99');
    assert.equal(signedIn(await signIn(ua, await loginPage(t, ua), 'alice', PASSWORD)), false);
    assert.equal(t.lastOutcome()?.reason, 'login_throttled');
  });

  it('limits one source across account names, an IPv6 /64 as one source', async () => {
    const t = await createTestServer();
    for (let i = 0; i < 20; i++) {
      const ua = browserAt(t, `2001:db8:1:2::${(i + 1).toString(16)}`);
      await signIn(ua, await loginPage(t, ua), `user-${i}`, 'password1');
      assert.equal(t.lastOutcome()?.reason, 'login_failed');
    }
    const sameSlash64 = browserAt(t, '2001:db8:1:2:ffff::1');
    const refused = await signIn(sameSlash64, await loginPage(t, sameSlash64), 'alice', PASSWORD);
    assert.equal(signedIn(refused), false);
    assert.equal(t.lastOutcome()?.reason, 'login_throttled');
    // Another source is not affected.
    const elsewhere = browserAt(t, '2001:db8:1:3::1');
    assert.ok(signedIn(await signIn(elsewhere, await loginPage(t, elsewhere), 'alice', PASSWORD)));
  });

  it('a success resets the account and gives the source its attempt back', async () => {
    const t = await createTestServer({
      login: { throttle: { perSource: { limit: 6, windowSeconds: 900 } } },
    });
    const ua = browserAt(t);
    let page = await loginPage(t, ua);
    for (let i = 0; i < 4; i++) page = await signIn(ua, page, 'alice', `wrong-${i}`);
    assert.ok(signedIn(await signIn(ua, page, 'alice', PASSWORD)));
    // Account reset: 4 more failures and a success are allowed again. The source (limit 6) was
    // charged 4 failures and refunded the success, so 2 failures are left from here.
    const second = browserAt(t);
    page = await loginPage(t, second);
    for (let i = 0; i < 2; i++) {
      page = await signIn(second, page, 'alice', `again-${i}`);
      assert.equal(t.lastOutcome()?.reason, 'login_failed');
    }
    page = await signIn(second, page, 'alice', 'again-3');
    assert.equal(t.lastOutcome()?.reason, 'login_throttled');
  });

  it('charges attempts before authenticating, so parallel guesses cannot outrun the check', async () => {
    const t = await createTestServer();
    const ua = browserAt(t);
    const page = await loginPage(t, ua);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn(ua, page, 'alice', `wrong-${i}`)),
    );
    assert.ok(results.every((r) => r.status === 401));
    assert.equal((await t.store.audit.list({ type: 'login.failed' })).length, 5);
    assert.equal(t.outcomes().filter((o) => o.reason === 'login_throttled').length, 7);
  });

  it('covers a custom authenticator too', async () => {
    let calls = 0;
    const t = await createTestServer({
      authenticateUser: async ({ username, password }) => {
        calls += 1;
        return username === 'sso-user' && password === 'right' ? { id: 'user-alice', username } : undefined;
      },
    });
    const ua = browserAt(t);
    let page = await loginPage(t, ua);
    for (let i = 0; i < 10; i++) page = await signIn(ua, page, 'sso-user', 'wrong');
    assert.equal(signedIn(await signIn(ua, page, 'sso-user', 'right')), false);
    assert.equal(calls, 5);
  });

  it('audits one login.throttled event per lock, not per attempt, and counts it', async () => {
    const t = await createTestServer();
    const ua = browserAt(t, '192.0.2.44');
    let page = await loginPage(t, ua);
    for (let i = 0; i < 30; i++) page = await signIn(ua, page, 'alice', `wrong-${i}`);
    const events = await t.store.audit.list({ type: 'login.throttled' });
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.reason, 'login_throttled');
    assert.equal(event?.clientId, 'public-app');
    assert.deepEqual(
      { kind: event?.detail?.key_kind, key: event?.detail?.key, from: event?.detail?.remote_address },
      { kind: 'account', key: 'alice', from: '192.0.2.44' },
    );
    assert.equal(await throttledCount(t, 'account'), 1);
    assert.equal(await throttledCount(t, 'source'), 0);

    // A new window: the next lock is audited again, carrying how many refusals were not.
    t.advance(15 * MINUTE);
    page = await loginPage(t, ua);
    for (let i = 0; i < 6; i++) page = await signIn(ua, page, 'alice', `wrong-${i}`);
    const again = await t.store.audit.list({ type: 'login.throttled' });
    assert.equal(again.length, 2);
    assert.ok(again.some((e) => e.detail?.previous_window_suppressed === 24));
    assert.equal(await throttledCount(t, 'account'), 2);
  });
});
