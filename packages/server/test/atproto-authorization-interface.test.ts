/**
 * The atproto profile's authorization interface (AT-14): the hinted account (handle or DID), no
 * answer with another account's session, the full client_id and what each atproto scope allows.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isPage, type UserAgent } from '../../../test/support/user-agent.ts';
import { describeAtprotoScope } from '../src/profiles/atproto-scope-descriptions.ts';
import { hashPassword } from '../src/users/password.ts';
import {
  atprotoServer,
  authorizeUrl,
  CLIENT_ID,
  DID,
  dpopKey,
  login,
  push,
  requestParams,
  userAgentOf,
} from './support/atproto-profile.ts';
import { ISSUER, PASSWORD, VERIFIER } from './support/test-server.ts';

describe('atproto profile: the authorization interface (AT-14)', async () => {
  const { t } = await atprotoServer();
  const key = await dpopKey();
  await t.store.users.create({
    id: 'user-bob',
    username: 'bob',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: t.now(),
  });
  const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);
  const open = async (ua: UserAgent, extra: Record<string, string>) => {
    const pushed = await push(t, key, requestParams(extra, `${VERIFIER}-${randomUUID()}`));
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
    return ua.navigate(authorizeUrl(String(pushed.body.request_uri), CLIENT_ID), atClient);
  };
  const userAgent = () => userAgentOf(t);

  it('pre-fills the hinted account and refuses another one, changing nothing', async () => {
    const ua = userAgent();
    const page = await open(ua, { login_hint: 'alice' });
    assert.ok(isPage(page));
    assert.match(page.html, /name="username"[^>]*value="alice"/);
    assert.match(page.html, /asked to sign in as <strong>alice<\/strong>/);
    const sessionsBefore = ua.cookieNames();
    const refused = await ua.submit(page, { username: 'bob', password: PASSWORD }, atClient);
    assert.ok(isPage(refused));
    assert.equal(refused.status, 403);
    assert.match(
      refused.html,
      /role="alert"[^>]*>This application asked to sign in as <strong>alice<\/strong>/,
    );
    assert.deepEqual(ua.cookieNames(), sessionsBefore, 'no session was started');
    assert.equal((await t.store.audit.list({ type: 'login.succeeded' })).length, 0);
    // The same request is still pending: the hinted account signs in on the same form.
    const consent = await ua.submit(refused, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    assert.match(consent.html, /name="decision"/);
  });

  it('takes a DID as the hint, matched against the subject supplier', async () => {
    const ua = userAgent();
    const page = await open(ua, { login_hint: DID });
    assert.ok(isPage(page));
    assert.match(page.html, /name="username"[^>]*value=""/, 'a DID is no username, so nothing is pre-filled');
    const refused = await ua.submit(page, { username: 'bob', password: PASSWORD }, atClient);
    assert.ok(isPage(refused));
    assert.equal(refused.status, 403);
    const consent = await ua.submit(refused, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    assert.match(consent.html, /name="decision"/);
  });

  it("does not answer with another account's session", async () => {
    const ua = userAgent();
    const first = await open(ua, {});
    assert.ok(isPage(first));
    const consent = await ua.submit(first, { username: 'bob', password: PASSWORD }, atClient);
    assert.ok(isPage(consent) && consent.html.includes('name="decision"'), 'bob is signed in');
    const hinted = await open(ua, { login_hint: 'alice' });
    assert.ok(isPage(hinted));
    assert.match(hinted.html, /name="password"/, "bob's session does not answer a request for alice");
    const silent = await open(ua, { login_hint: 'alice', prompt: 'none' });
    assert.ok(!isPage(silent));
    assert.equal(new URL(silent.redirectedTo).searchParams.get('error'), 'login_required');
    const bobSilent = await open(ua, { login_hint: 'bob', prompt: 'none' });
    assert.ok(!isPage(bobSilent));
    assert.equal(
      new URL(bobSilent.redirectedTo).searchParams.get('error'),
      'consent_required',
      "bob's own session does answer a request for bob (he has not consented yet)",
    );
  });

  it('shows the full client_id, the client name and what each scope allows', async () => {
    const ua = userAgent();
    const page = await open(ua, {});
    assert.ok(isPage(page));
    const consent = await ua.submit(page, login, atClient);
    assert.ok(isPage(consent));
    assert.ok(consent.html.includes(`<code>${CLIENT_ID}</code>`), consent.html);
    assert.match(consent.html, /calls itself “Example atproto app”/);
    assert.match(consent.html, /<code>atproto<\/code>: know which account you are/);
    assert.match(consent.html, /<code>transition:generic<\/code>: read and write your public data/);
  });

  it('describes the atproto scopes', () => {
    assert.match(describeAtprotoScope('transition:email') ?? '', /email/);
    assert.match(
      describeAtprotoScope('repo:app.bsky.feed.post?action=create') ?? '',
      /^create records of type app\.bsky\.feed\.post/,
    );
    assert.match(describeAtprotoScope('repo?collection=app.bsky.feed.like') ?? '', /app\.bsky\.feed\.like/);
    assert.match(describeAtprotoScope('rpc:app.bsky.feed.getTimeline?aud=*') ?? '', /getTimeline/);
    assert.match(describeAtprotoScope('blob:image/*') ?? '', /image\/\*/);
    assert.match(describeAtprotoScope('account:email?action=manage') ?? '', /^manage your account's email/);
    assert.match(describeAtprotoScope('include:app.example.basePermissions') ?? '', /permission set/);
    assert.equal(describeAtprotoScope('mcp:tools'), undefined);
    assert.equal(describeAtprotoScope('profile'), undefined);
  });
});
