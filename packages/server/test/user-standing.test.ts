/**
 * Issue #16: a disabled or removed account's grants stop working everywhere one is trusted: the
 * refresh and code grants, introspection, and the browser session behind silent authorization.
 * Disabling keeps everything, so enabling the account brings it back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { isPage } from '../../../test/support/user-agent.ts';
import { basic, createTestServer, ISSUER, SECRET } from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

async function serverWithTokens() {
  const t = await createTestServer();
  await t.addResourceServer('rs');
  const tokens = await t.tokensFor();
  return { t, access: tokens.access_token, refresh: tokens.refresh_token! };
}

async function introspect(t: TestServer, token: string) {
  const response = await t.post('/introspect', { token }, basic('rs', SECRET));
  return (await response.json()) as { active: boolean; sub?: string };
}

function refresh(t: TestServer, refreshToken: string) {
  return t.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'public-app' });
}

async function assertInvalidGrant(t: TestServer, response: Response, reason: string) {
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
  assert.equal(t.lastOutcome()?.reason, reason);
}

async function silently(t: TestServer, ua: ReturnType<TestServer['userAgent']>) {
  const result = await ua.navigate(t.authorizationUrl({ prompt: 'none' }), (l) => !l.startsWith(ISSUER));
  assert.ok(!isPage(result));
  return new URL(result.redirectedTo).searchParams;
}

describe('a disabled user', () => {
  it('cannot refresh (user_disabled), and the tokens introspect inactive until enabled again', async () => {
    const { t, access, refresh: refreshToken } = await serverWithTokens();
    assert.equal((await introspect(t, access)).active, true);
    await t.store.users.setDisabled('user-alice', t.now());

    await assertInvalidGrant(t, await refresh(t, refreshToken), 'user_disabled');
    assert.deepEqual(await introspect(t, access), { active: false });
    assert.deepEqual(await introspect(t, refreshToken), { active: false });

    // The refusal left the family alone: enabling the account restores the same session.
    await t.store.users.setDisabled('user-alice', undefined);
    assert.equal((await introspect(t, access)).active, true);
    const refreshed = await refresh(t, refreshToken);
    assert.equal(refreshed.status, 200);
  });

  it('gets no tokens for a code issued before the account was disabled', async () => {
    const t = await createTestServer();
    const callback = await t.authorize();
    await t.store.users.setDisabled('user-alice', t.now());
    await assertInvalidGrant(t, await t.token(t.redeemParams(callback)), 'user_disabled');
  });

  it('has no session: silent authorization answers login_required, and the login is refused', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({}, ua);
    assert.ok((await silently(t, ua)).get('code'), 'silent authorization works while the account is active');

    await t.store.users.setDisabled('user-alice', t.now());
    const params = await silently(t, ua);
    assert.equal(params.get('error'), 'login_required');
    assert.equal(params.get('code'), null);
    assert.equal(t.lastOutcome()?.reason, 'login_required');
    // The interaction page asks for a login again, which a disabled account cannot pass.
    await assert.rejects(t.authorize({}, ua));
  });
});

describe('a removed user', () => {
  it('cannot refresh (user_unknown), and the tokens introspect inactive', async () => {
    const { t, access, refresh: refreshToken } = await serverWithTokens();
    assert.equal(await t.store.users.delete('user-alice'), true);
    await assertInvalidGrant(t, await refresh(t, refreshToken), 'user_unknown');
    assert.deepEqual(await introspect(t, access), { active: false });
    assert.deepEqual(await introspect(t, refreshToken), { active: false });
  });

  it('with an injected authenticator, users outside the store keep working', async () => {
    // The embedder's accounts are not in the users table: a missing record is not a removal.
    const t = await createTestServer({
      authenticateUser: async ({ username }) => ({ id: `external-${username}`, username }),
    });
    await t.addResourceServer('rs');
    const tokens = await t.tokensFor();
    assert.equal(decodeJwt(tokens.access_token).sub, 'external-alice');
    assert.equal((await introspect(t, tokens.access_token)).active, true);
    assert.equal((await refresh(t, tokens.refresh_token!)).status, 200);
  });
});

describe('a stored subject', () => {
  it('is the sub of the access token and of both introspection answers', async () => {
    const t = await createTestServer();
    await t.addResourceServer('rs');
    assert.equal(await t.store.users.setSub('user-alice', 'did:plc:alice'), 'set');
    const tokens = await t.tokensFor();
    assert.equal(decodeJwt(tokens.access_token).sub, 'did:plc:alice');
    assert.equal((await introspect(t, tokens.access_token)).sub, 'did:plc:alice');
    assert.equal((await introspect(t, tokens.refresh_token!)).sub, 'did:plc:alice');
  });

  it('is passed to a configured supplier, which has the last word', async () => {
    const seen: unknown[] = [];
    const t = await createTestServer({
      subject: (user) => {
        seen.push(user);
        return `supplied:${user.sub}`;
      },
    });
    await t.store.users.setSub('user-alice', 'did:plc:alice');
    const tokens = await t.tokensFor();
    assert.equal(decodeJwt(tokens.access_token).sub, 'supplied:did:plc:alice');
    assert.deepEqual(seen[0], { id: 'user-alice', username: 'alice', sub: 'did:plc:alice' });
  });
});
