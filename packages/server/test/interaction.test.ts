/**
 * The login and consent pages: plain forms, CSRF tokens, the browser binding, single use, and what
 * the consent page must show (MCP-15, CIMD-UI-3).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage, type UserAgent } from '../../../test/support/user-agent.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);

async function loginPage(t: Awaited<ReturnType<typeof createTestServer>>, ua: UserAgent, params = {}) {
  const page = await ua.navigate(t.authorizationUrl(params), atClient);
  assert.ok(isPage(page));
  return page;
}

describe('login and consent pages', async () => {
  it('are plain HTML forms with labelled fields, not cacheable, not frameable', async () => {
    const t = await createTestServer();
    const page = await loginPage(t, t.userAgent());
    assert.equal(page.status, 200);
    assert.match(page.html, /<label for="username">/);
    assert.match(page.html, /<label for="password">/);
    assert.doesNotMatch(page.html, /<script/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  });

  it('sets HttpOnly SameSite=Lax __Host- cookies on an https issuer', async () => {
    const t = await createTestServer();
    const response = await t.send(t.authorizationUrl());
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^__Host-gatehouse-binding=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /Path=\//);
  });

  it('shows a failed login without saying whether the user exists, and logs it in the audit', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const page = await loginPage(t, ua);
    const wrongPassword = await ua.submit(page, { username: 'alice', password: 'nope-nope' }, atClient);
    const unknownUser = await ua.submit(page, { username: 'mallory', password: 'nope-nope' }, atClient);
    assert.ok(isPage(wrongPassword) && isPage(unknownUser));
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownUser.status, 401);
    assert.equal(
      wrongPassword.html.replace(/value="[^"]*"/g, ''),
      unknownUser.html.replace(/value="[^"]*"/g, ''),
    );
    assert.equal((await t.store.audit.list({ type: 'login.failed' })).length, 2);
  });

  it('refuses a login form posted without its CSRF token', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const page = await loginPage(t, ua);
    const result = await ua.submit(page, { csrf: 'forged', username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(result));
    assert.equal(result.status, 400);
    assert.match(result.html, /form has expired/);
    assert.equal(t.lastOutcome()?.reason, 'csrf_mismatch');
    assert.equal(t.lastOutcome()?.error, 'invalid_request');
  });

  it('refuses a consent form posted without its CSRF token, and one without a decision', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const consent = await ua.submit(
      await loginPage(t, ua),
      { username: 'alice', password: PASSWORD },
      atClient,
    );
    assert.ok(isPage(consent));
    const forged = await ua.submit(consent, { csrf: 'forged' }, atClient, 'allow');
    assert.ok(isPage(forged));
    await assertRefusal(t, new Response(forged.html, { status: forged.status }), {
      status: 400,
      error: 'invalid_request',
      reason: 'csrf_mismatch',
    });
    const undecided = await ua.submit(consent, {}, atClient);
    assert.ok(isPage(undecided));
    await assertRefusal(t, new Response(undecided.html, { status: undecided.status }), {
      status: 400,
      error: 'invalid_request',
      reason: 'decision_missing',
    });
  });

  it('refuses to continue a request in a browser that did not start it', async () => {
    const t = await createTestServer();
    const victim = t.userAgent();
    const page = await loginPage(t, t.userAgent()); // started by the attacker's browser
    const result = await victim.submit(page, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(result));
    assert.equal(result.status, 400);
    assert.match(result.html, /started in another browser/);
    assert.equal(t.lastOutcome()?.reason, 'browser_binding_mismatch');
  });

  it('answers a consent form once, even when it is submitted twice', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const login = await loginPage(t, ua);
    const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    const [first, second] = await Promise.all([
      ua.submit(consent, {}, atClient, 'allow'),
      ua.submit(consent, {}, atClient, 'allow'),
    ]);
    const redirects = [first, second].filter((result) => !isPage(result));
    assert.equal(redirects.length, 1);
    const loser = [first, second].find((result) => isPage(result));
    assert.ok(loser && isPage(loser));
    assert.equal(loser.status, 400);
    // The loser found its request consumed under it (the store's single use), not merely gone.
    assert.ok(
      t.outcomes().some((o) => o.reason === 'interaction_answered' && o.error === 'invalid_request'),
      'the second answer is refused as interaction_answered',
    );
  });

  it('shows the client_id, the redirect host, the scopes, and marks the client name as self-asserted', async () => {
    const t = await createTestServer();
    const client = (await t.store.clients.get('public-app'))!;
    await t.store.clients.put({
      ...client,
      metadata: { ...client.metadata, client_name: 'Totally Official <b>App</b>' },
    });
    const ua = t.userAgent();
    const consent = await ua.submit(
      await loginPage(t, ua),
      { username: 'alice', password: PASSWORD },
      atClient,
    );
    assert.ok(isPage(consent));
    assert.match(consent.html, /<code>public-app<\/code>/);
    assert.match(consent.html, /app\.example\.test/);
    assert.match(
      consent.html,
      /It calls itself “Totally Official &lt;b&gt;App&lt;\/b&gt;” <span class="label">\(its own claim, not verified\)/,
    );
    assert.match(consent.html, /Totally Official &lt;b&gt;App&lt;\/b&gt;/, 'escaped');
    assert.match(consent.html, /mcp:tools/);
    assert.doesNotMatch(consent.html, /loopback address/);
  });

  it('warns when every redirect URI of the client is loopback (MCP-15)', async () => {
    const t = await createTestServer();
    const client = (await t.store.clients.get('public-app'))!;
    await t.store.clients.put({
      ...client,
      metadata: { ...client.metadata, redirect_uris: ['http://127.0.0.1/callback'] },
    });
    const ua = t.userAgent();
    const login = await ua.navigate(
      t.authorizationUrl({ redirect_uri: 'http://127.0.0.1:4000/callback' }),
      atClient,
    );
    assert.ok(isPage(login));
    const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    assert.match(consent.html, /loopback address/);
  });

  it('expires an interaction that waited too long', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const page = await loginPage(t, ua);
    t.advance(601_000);
    const result = await ua.submit(page, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(result));
    assert.match(result.html, /expired or was already answered/);
    assert.equal(t.lastOutcome()?.reason, 'interaction_unknown');
  });
});
