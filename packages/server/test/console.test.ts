/**
 * The admin console (issue #15, decision 0040) through `server.fetch` on the memory store: no
 * session sends every page and form to sign-in; a non-admin, a wrong password and a disabled admin
 * get one refusal; the session cookie's attributes, idle and absolute expiry, sign-out; every POST
 * without the session's CSRF token or from another origin is a 403 that changes nothing; every
 * change is audited with the actor `console:<name>`; the pages' CSP and the revoke-all password.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSOLE_CSP } from '../src/console/console-layout.ts';
import { hashPassword } from '../src/users/password.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER };

async function consoleServer() {
  const t = await createTestServer({ governance: { mode: 'approval' } });
  await t.store.users.create({
    id: 'user-root',
    username: 'root',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: 0,
    admin: true,
  });
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.send(`${ISSUER}/admin${path}`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: new URLSearchParams(form),
    });
  const signIn = async (username = 'root', password = PASSWORD) => {
    const answer = await post('/login', { username, password });
    const cookie = answer.headers.get('set-cookie');
    return { answer, cookie: cookie === null ? undefined : cookie.split(';')[0]! };
  };
  const page = (path: string, cookie: string) => t.send(`${ISSUER}/admin${path}`, { headers: { cookie } });
  const csrfOf = async (cookie: string) => {
    const text = await (await page('/access-requests', cookie)).text();
    return /name="csrf" value="([^"]+)"/.exec(text)![1]!;
  };
  return { t, post, signIn, page, csrfOf };
}

describe('admin console: sign-in and session', () => {
  it('sends every page and form to the sign-in page without a session', async () => {
    const { t, post } = await consoleServer();
    for (const path of ['', '/clients', '/client?client_id=public-app', '/domains', '/access-requests']) {
      const answer = await t.send(`${ISSUER}/admin${path}`);
      assert.equal(answer.status, 303, path);
      assert.equal(answer.headers.get('location'), '/admin/login');
    }
    const blocked = await post('/actions/block', { target: 'public-app', csrf: 'x' });
    assert.equal(blocked.status, 303);
    assert.equal((await t.store.governance.listRules()).length, 0);
    const login = await t.send(`${ISSUER}/admin/login`);
    assert.equal(login.status, 200);
    assert.equal(login.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.equal(login.headers.get('x-frame-options'), 'DENY');
    assert.match(await login.text(), /<label for="password">Password<\/label>/);
    const css = await t.send(`${ISSUER}/admin/console.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(await css.text(), /--primary:/);
  });

  it('refuses a non-admin, a wrong password and an unknown name alike (console_sign_in_refused)', async () => {
    const { t, signIn } = await consoleServer();
    const bodies: string[] = [];
    for (const [name, password] of [
      ['alice', PASSWORD],
      ['root', 'wrong password'],
      ['nobody', PASSWORD],
    ] as const) {
      const { answer, cookie } = await signIn(name, password);
      assert.equal(cookie, undefined);
      bodies.push((await answer.clone().text()).replace(/value="[^"]*"/, ''));
      await assertRefusal(t, answer, {
        status: 401,
        error: 'access_denied',
        reason: 'console_sign_in_refused',
      });
    }
    assert.equal(new Set(bodies).size, 1, 'one page for every refusal');
    const failed = await t.store.audit.list({ type: 'login.failed' });
    assert.equal(failed[0]?.reason, 'console_sign_in_refused');
  });

  it('signs an admin in with a __Host- HttpOnly Secure SameSite=Strict cookie, audited; sign-out ends it', async () => {
    const { t, signIn, page, post, csrfOf } = await consoleServer();
    const { answer, cookie } = await signIn();
    assert.equal(answer.status, 303);
    assert.equal(answer.headers.get('location'), '/admin');
    const header = answer.headers.get('set-cookie') ?? '';
    assert.match(header, /^__Host-gatehouse-console=/);
    assert.match(header, /HttpOnly/);
    assert.match(header, /Secure/);
    assert.match(header, /SameSite=Strict/);
    assert.match(header, /Path=\//);
    assert.equal((await t.store.audit.list({ type: 'console.signed_in' }))[0]?.actor, 'console:root');
    const overview = await page('', cookie!);
    assert.equal(overview.status, 200);
    assert.match(await overview.text(), /Tokens issued and refusals per hour/);
    const out = await post('/logout', { csrf: await csrfOf(cookie!) }, { cookie: cookie! });
    assert.equal(out.status, 303);
    assert.equal((await t.store.audit.list({ type: 'console.signed_out' }))[0]?.actor, 'console:root');
    assert.equal((await page('', cookie!)).status, 303);
  });

  it('ends a session after 30 idle minutes, renews an active one, and ends every one after 12 hours', async () => {
    const { t, signIn, page } = await consoleServer();
    let { cookie } = await signIn();
    t.advance(29 * 60 * 1000);
    const renewed = await page('/clients', cookie!);
    assert.equal(renewed.status, 200);
    const next = renewed.headers.get('set-cookie');
    assert.ok(next !== null, 'a session more than a quarter spent is renewed');
    assert.equal((await page('/clients', cookie!)).status, 303, 'the old value is gone');
    cookie = next.split(';')[0]!;
    for (let hour = 0; hour < 12; hour++) {
      t.advance(20 * 60 * 1000);
      const answer = await page('/clients', cookie);
      if (answer.status === 303) break;
      cookie = answer.headers.get('set-cookie')?.split(';')[0] ?? cookie;
    }
    t.advance(12 * 60 * 60 * 1000);
    assert.equal((await page('/clients', cookie)).status, 303);
    const idle = await signIn();
    t.advance(31 * 60 * 1000);
    assert.equal((await page('', idle.cookie!)).status, 303);
  });

  it('stops a session whose account lost the admin role or was disabled', async () => {
    const { t, signIn, page } = await consoleServer();
    const { cookie } = await signIn();
    await t.store.users.setAdmin('user-root', false);
    assert.equal((await page('', cookie!)).status, 303);
    await t.store.users.setAdmin('user-root', true);
    await t.store.users.setDisabled('user-root', 1);
    assert.equal((await page('', cookie!)).status, 303);
    assert.equal((await signIn()).cookie, undefined);
  });
});

describe('admin console: where it is served', () => {
  it('is on admin.fetch too, only there when the main handler is off, and nowhere with admin.console off', async () => {
    const listener = 'https://admin.internal.test:9443';
    const off = await createTestServer({ admin: { mainHandler: false } });
    assert.equal((await off.send(`${ISSUER}/admin/login`)).status, 404);
    const own = await off.server.admin.fetch(new Request(`${listener}/admin/login`));
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('content-security-policy'), CONSOLE_CSP);
    const none = await createTestServer({ admin: { console: false } });
    assert.equal((await none.send(`${ISSUER}/admin/login`)).status, 404);
    assert.equal((await none.server.admin.fetch(new Request(`${listener}/admin/login`))).status, 404);
    const disabled = await createTestServer({ admin: { enabled: false } });
    assert.equal((await disabled.send(`${ISSUER}/admin`)).status, 404);
  });
});

describe('admin console: forms', () => {
  it('refuses a POST without the CSRF token or from another origin (console_csrf_invalid, 403), changing nothing', async () => {
    const { t, signIn, post, csrfOf } = await consoleServer();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{ target: 'public-app' }, { cookie: cookie! }],
      [{ target: 'public-app', csrf: 'forged' }, { cookie: cookie! }],
      [
        { target: 'public-app', csrf },
        { cookie: cookie!, origin: 'https://evil.example' },
      ],
    ];
    for (const [form, headers] of cases) {
      const answer = await post('/actions/block', form, headers);
      await assertRefusal(t, answer, { status: 403, error: 'access_denied', reason: 'console_csrf_invalid' });
    }
    const crossSite = await post(
      '/login',
      { username: 'root', password: PASSWORD },
      { origin: 'https://evil.example' },
    );
    await assertRefusal(t, crossSite, {
      status: 403,
      error: 'access_denied',
      reason: 'console_csrf_invalid',
    });
    assert.equal((await t.store.governance.listRules()).length, 0);
  });

  it('approves, blocks, unblocks and edits owner fields through the services, audited as console:<name>', async () => {
    const { t, signIn, post, csrfOf, page } = await consoleServer();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    const back = '/admin/client?client_id=public-app';
    const approve = await post(
      '/actions/approve',
      { target: 'public-app', tier: 'trusted', csrf, return: back },
      { cookie: cookie! },
    );
    assert.equal(approve.status, 303);
    assert.match(
      approve.headers.get('location') ?? '',
      /^\/admin\/client\?client_id=public-app&done=approved/,
    );
    const approved = (await t.store.audit.list({ type: 'governance.client_approved' }))[0];
    assert.equal(approved?.actor, 'console:root');
    assert.equal(
      (await post('/actions/block', { target: 'public-app', csrf }, { cookie: cookie! })).status,
      303,
    );
    assert.equal((await t.store.audit.list({ type: 'governance.client_blocked' }))[0]?.actor, 'console:root');
    const shown = await (await page('/client?client_id=public-app', cookie!)).text();
    assert.match(shown, /aria-label="Unblock public-app"/);
    assert.equal(
      (await post('/actions/unblock', { target: 'public-app', csrf }, { cookie: cookie! })).status,
      303,
    );
    assert.equal(
      (await t.store.audit.list({ type: 'governance.client_unblocked' }))[0]?.actor,
      'console:root',
    );
    assert.equal(
      (
        await post(
          '/actions/owner',
          { client_id: 'public-app', owner: 'payments', csrf },
          { cookie: cookie! },
        )
      ).status,
      303,
    );
    assert.equal((await t.store.inventory.operatorFields('public-app'))?.owner, 'payments');
    // A refusal of the service is a page with its status, not a stack trace.
    const bad = await post('/actions/block', { target: 'domain:', csrf }, { cookie: cookie! });
    assert.doesNotMatch(await bad.clone().text(), /at .*\.ts:\d+/);
    await assertRefusal(t, bad, { status: 400, error: 'invalid_request', reason: 'invalid_selector' });
    const missing = await post('/actions/approve', { csrf }, { cookie: cookie! });
    await assertRefusal(t, missing, {
      status: 400,
      error: 'invalid_request',
      reason: 'console_form_invalid',
    });
    assert.equal((await t.store.governance.listRules()).filter((rule) => rule.state === 'blocked').length, 0);
  });

  it('sets the tier of a stored rule and deletes it from the policy page; file rules are read-only there', async () => {
    const { t, signIn, post, csrfOf, page } = await consoleServer();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    await post('/actions/approve', { target: 'domain:example.test', csrf }, { cookie: cookie! });
    const policy = await (await page('/policy', cookie!)).text();
    assert.match(policy, /<code>domain:example.test<\/code>/);
    assert.match(policy, /aria-label="Set tier domain:example.test"/);
    const set = await post(
      '/actions/set-tier',
      { target: 'domain:example.test', tier: 'trusted', csrf },
      { cookie: cookie! },
    );
    assert.equal(set.status, 303);
    assert.equal((await t.store.audit.list({ type: 'governance.rule_changed' }))[0]?.actor, 'console:root');
    const noTier = await post(
      '/actions/set-tier',
      { target: 'domain:example.test', csrf },
      { cookie: cookie! },
    );
    await assertRefusal(t, noTier, { status: 400, error: 'invalid_request', reason: 'console_form_invalid' });
    await post('/actions/delete-rule', { target: 'domain:example.test', csrf }, { cookie: cookie! });
    assert.equal((await t.store.audit.list({ type: 'governance.rule_deleted' }))[0]?.actor, 'console:root');
    assert.equal((await t.store.governance.listRules()).length, 0);
  });

  it('reads the audit log with filters; a bad time is a page with its reason (audit_time_invalid)', async () => {
    const { t, signIn, page } = await consoleServer();
    const { cookie } = await signIn();
    const shown = await (await page('/audit?type=console.signed_in&actor=console%3Aroot', cookie!)).text();
    assert.match(shown, /<code>console.signed_in<\/code>/);
    assert.doesNotMatch(shown, /<code>login.failed<\/code>/);
    const bad = await page('/audit?since=yesterday', cookie!);
    await assertRefusal(t, bad, { status: 400, error: 'invalid_request', reason: 'audit_time_invalid' });
  });

  it('disables and enables a user, grants admin and resets a password from the users pages, audited', async () => {
    const { t, signIn, post, csrfOf, page } = await consoleServer();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    const list = await (await page('/users', cookie!)).text();
    assert.match(list, /aria-label="Disable alice"/);
    assert.match(list, /aria-label="Revoke admin root"/);
    const form = (fields: Record<string, string>) =>
      post('/actions/user', { ...fields, csrf }, { cookie: cookie! });
    assert.equal((await form({ user: 'alice', disabled: 'true' })).status, 303);
    assert.ok((await t.store.users.get('user-alice'))?.disabledAt !== undefined);
    assert.equal((await t.store.audit.list({ type: 'user.disabled' }))[0]?.actor, 'console:root');
    await form({ user: 'alice', disabled: 'false', admin: 'true' });
    assert.equal((await t.store.users.get('user-alice'))?.admin, true);
    assert.equal((await t.store.audit.list({ type: 'user.admin_granted' }))[0]?.actor, 'console:root');
    const short = await form({ user: 'alice', password: 'short' });
    await assertRefusal(t, short, { status: 400, error: 'invalid_request', reason: 'invalid_user_change' });
    assert.equal((await form({ user: 'alice', password: 'a long new password' })).status, 303);
    assert.equal((await t.store.audit.list({ type: 'user.password_set' }))[0]?.actor, 'console:root');
    const detail = await (await page('/user?name=alice', cookie!)).text();
    assert.match(detail, /Connections/);
    const unknown = await page('/user?name=nobody', cookie!);
    await assertRefusal(t, unknown, { status: 404, error: 'invalid_request', reason: 'user_not_found' });
  });

  it('revokes all only after the admin gives the password again (console_password_refused)', async () => {
    const { t, signIn, post, csrfOf, page } = await consoleServer();
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    const confirm = await (await page('/revoke?client_id=public-app', cookie!)).text();
    assert.match(confirm, /Users with live grants/);
    const wrong = await post(
      '/revoke',
      { client_id: 'public-app', password: 'not it', csrf },
      { cookie: cookie! },
    );
    await assertRefusal(t, wrong, {
      status: 403,
      error: 'access_denied',
      reason: 'console_password_refused',
    });
    assert.equal((await t.store.audit.list({ type: 'blast_radius.revoked' })).length, 0);
    const right = await post(
      '/revoke',
      { client_id: 'public-app', password: PASSWORD, csrf },
      { cookie: cookie! },
    );
    assert.equal(right.status, 303);
    assert.match(right.headers.get('location') ?? '', /done=revoked/);
    assert.equal((await t.store.audit.list({ type: 'blast_radius.revoked' }))[0]?.actor, 'console:root');
  });
});
