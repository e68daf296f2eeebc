/** RFC 7009 revocation and RFC 7662 introspection. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basic, createTestServer, SECRET } from './support/test-server.ts';

async function setup() {
  const t = await createTestServer();
  await t.addResourceServer('rs');
  const post = t.post;
  const introspect = async (token: string) =>
    (await (await post('/introspect', { token }, basic('rs', SECRET))).json()) as Record<string, unknown>;
  return { t, post, introspect };
}

describe('introspection (RFC 7662)', async () => {
  it('describes an active access token to an authenticated resource server', async () => {
    const { t, introspect } = await setup();
    const tokens = await t.tokensFor();
    const info = await introspect(tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'public-app');
    assert.equal(info.sub, 'user-alice');
    assert.equal(info.scope, 'mcp:tools');
    assert.equal(info.aud, 'https://mcp.example.test/mcp');
    assert.equal(info.token_type, 'Bearer');
  });
  it('says only active:false for garbage, expired and foreign-issuer tokens', async () => {
    const { t, introspect } = await setup();
    assert.deepEqual(await introspect('garbage'), { active: false });
    const tokens = await t.tokensFor();
    t.advance(301_000);
    assert.deepEqual(await introspect(tokens.access_token), { active: false });
  });
  it('requires client authentication, and refuses public clients', async () => {
    const { t, post } = await setup();
    const anonymous = await post('/introspect', { token: 'x' });
    assert.equal(anonymous.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'client_id_missing');
    const publicClient = await post('/introspect', { token: 'x', client_id: 'public-app' });
    assert.equal(publicClient.status, 401);
    assert.equal(((await publicClient.json()) as { error: string }).error, 'invalid_client');
    // RFC 7662 §2.1: a public client authenticated with nothing, so it may not introspect.
    assert.equal(t.lastOutcome()?.reason, 'introspection_needs_credentials');
  });
});

describe('revocation (RFC 7009)', async () => {
  it('revoking a refresh token ends its family, access tokens included', async () => {
    const { t, post, introspect } = await setup();
    const tokens = await t.tokensFor();
    const response = await post('/revoke', {
      token: tokens.refresh_token!,
      token_type_hint: 'refresh_token',
      client_id: 'public-app',
    });
    assert.equal(response.status, 200);
    assert.equal((await introspect(tokens.access_token)).active, false);
    assert.equal((await introspect(tokens.refresh_token!)).active, false);
  });
  it('revoking an access token ends that token only', async () => {
    const { t, post, introspect } = await setup();
    const tokens = await t.tokensFor();
    assert.equal(
      (await post('/revoke', { token: tokens.access_token, client_id: 'public-app' })).status,
      200,
    );
    assert.equal((await introspect(tokens.access_token)).active, false);
    assert.equal((await introspect(tokens.refresh_token!)).active, true);
  });
  it('answers 200 for unknown tokens and leaves another client’s tokens alone', async () => {
    const { t, post, introspect } = await setup();
    const tokens = await t.tokensFor();
    assert.equal((await post('/revoke', { token: 'unknown', client_id: 'public-app' })).status, 200);
    const foreign = await post('/revoke', {
      token: tokens.refresh_token!,
      client_id: 'post-app',
      client_secret: SECRET,
    });
    assert.equal(foreign.status, 200);
    assert.equal((await introspect(tokens.refresh_token!)).active, true);
  });
  it('requires the token parameter and client authentication', async () => {
    const { t, post } = await setup();
    assert.equal((await post('/revoke', { client_id: 'public-app' })).status, 400);
    assert.equal(t.lastOutcome()?.reason, 'missing_parameter');
    assert.equal((await post('/revoke', { token: 'x' })).status, 401);
    assert.equal(t.lastOutcome()?.reason, 'client_id_missing');
  });
});
