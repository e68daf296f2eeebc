/** The pluggable `sub` (users/subject.ts): access tokens, introspection, and the default behaviour. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { basic, createTestServer, ISSUER, RESOURCE_SERVER, SECRET } from './support/test-server.ts';

async function introspect(t: Awaited<ReturnType<typeof createTestServer>>, token: string) {
  if ((await t.store.clients.get(RESOURCE_SERVER)) === undefined) await t.addResourceServer();
  const response = await t.post('/introspect', { token }, basic(RESOURCE_SERVER, SECRET));
  return (await response.json()) as Record<string, unknown>;
}

describe('subject supplier', () => {
  it('by default the sub is the user id, and the token response carries no sub', async () => {
    const t = await createTestServer();
    const tokens = (await t.tokensFor()) as Record<string, unknown> & {
      access_token: string;
      refresh_token?: string;
    };
    assert.equal(decodeJwt(tokens.access_token).sub, 'user-alice');
    assert.equal(tokens.sub, undefined);
    assert.equal((await introspect(t, tokens.access_token)).sub, 'user-alice');
    assert.equal((await introspect(t, tokens.refresh_token!)).sub, 'user-alice');
  });

  it('a supplied subject is used for the access token and both introspection answers', async () => {
    const seen: { id: string; username: string }[] = [];
    const t = await createTestServer({
      subject: async (user) => {
        seen.push(user);
        return `did:web:${user.username}.example.test`;
      },
    });
    const tokens = await t.tokensFor();
    assert.equal(decodeJwt(tokens.access_token).sub, 'did:web:alice.example.test');
    assert.equal(decodeJwt(tokens.access_token).iss, ISSUER);
    assert.equal((await introspect(t, tokens.access_token)).sub, 'did:web:alice.example.test');
    assert.equal((await introspect(t, tokens.refresh_token!)).sub, 'did:web:alice.example.test');
    assert.deepEqual(seen[0], { id: 'user-alice', username: 'alice' });
  });

  it('a supplier that returns nothing usable fails the request as a server error, not a token', async () => {
    const t = await createTestServer({ subject: () => '' });
    const callback = await t.authorize();
    const response = await t.token({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: 'https://app.example.test/callback',
      client_id: 'public-app',
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy',
    });
    assert.equal(response.status, 500);
    assert.equal(((await response.json()) as { error: string }).error, 'server_error');
    assert.equal(t.lastOutcome()?.reason, 'internal');
  });

  it('a grant whose user no longer exists gets no token (invalid_grant, user_unknown)', async () => {
    const t = await createTestServer({ subject: (user) => `did:web:${user.username}.example.test` });
    const callback = await t.authorize();
    // The store has no user deletion; an account its operator removed reads like this.
    t.store.users.get = async () => undefined;
    const response = await t.token(t.redeemParams(callback));
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'user_unknown');
  });
});
