/** RFC 7009 revocation and RFC 7662 introspection, and who may introspect (decision 0029). */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import {
  APP_REDIRECT,
  basic,
  createTestServer,
  ISSUER,
  OTHER_RESOURCE,
  RESOURCE,
  RESOURCE_SERVER,
  SECRET,
} from './support/test-server.ts';

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

type Json = Record<string, unknown>;

/** The refusal every authenticated client that is not a resource server gets (RFC 7662 §2.1, §4). */
async function assertNotAllowed(response: Response, t: Awaited<ReturnType<typeof createTestServer>>) {
  assert.equal(response.status, 403);
  const body = (await response.json()) as Json;
  assert.equal(body.error, 'unauthorized_client');
  assert.equal(body.active, undefined, 'a refusal, not an answer about the token');
  assert.equal(t.lastOutcome()?.reason, 'introspection_not_allowed');
}

describe('who may introspect (RFC 7662 §2.1, §4; decision 0029)', async () => {
  it('refuses a client registered anonymously (open DCR), whatever it presents', async () => {
    const { t, post } = await setup();
    const registered = (await (await t.register({ redirect_uris: [APP_REDIRECT] })).json()) as Json;
    assert.equal(registered.token_endpoint_auth_method, 'client_secret_basic');
    const victim = await t.tokensFor();
    const auth = basic(registered.client_id as string, registered.client_secret as string);
    await assertNotAllowed(await post('/introspect', { token: victim.access_token }, auth), t);
    await assertNotAllowed(await post('/introspect', { token: victim.refresh_token! }, auth), t);
  });

  it('refuses a CIMD client that authenticates with its key, even when its URL is listed', async () => {
    const documents = stubDocuments();
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'cimd-1' };
    documents.publish(
      CIMD_URL,
      cimdDocument({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }),
    );
    // Listing a URL cannot make a metadata document a resource server: only operator-added
    // (static) clients can be, by their recorded kind.
    const t = await createTestServer({
      outboundFetch: documents.fetch,
      introspection: { clients: [RESOURCE_SERVER, CIMD_URL] },
    });
    const seconds = Math.floor(t.now() / 1000);
    const assertion = await new SignJWT({
      iss: CIMD_URL,
      sub: CIMD_URL,
      aud: ISSUER,
      iat: seconds,
      exp: seconds + 60,
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'cimd-1' })
      .sign(pair.privateKey);
    const response = await t.post('/introspect', {
      token: 'x',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    await assertNotAllowed(response, t);
    assert.equal(t.lastOutcome()?.clientId, CIMD_URL, 'it did authenticate: the refusal is not about that');
  });

  it('refuses a pre-registered confidential client the operator did not name, and logs who', async () => {
    const { t, post, introspect } = await setup();
    const tokens = await t.tokensFor();
    const familiesBefore = await t.store.tokenFamilies.listByClient('public-app');
    const callerBefore = await t.store.clients.get('basic-app');
    await assertNotAllowed(
      await post('/introspect', { token: tokens.access_token }, basic('basic-app', SECRET)),
      t,
    );
    assert.equal(t.lastOutcome()?.clientId, 'basic-app');
    // The refusal changed nothing: the token, its family and the caller are as they were.
    assert.deepEqual(await t.store.tokenFamilies.listByClient('public-app'), familiesBefore);
    assert.deepEqual(await t.store.clients.get('basic-app'), callerBefore);
    assert.equal((await introspect(tokens.access_token)).active, true);
    assert.equal((await introspect(tokens.refresh_token!)).active, true);
  });

  it('still authenticates first: a wrong secret is 401 invalid_client, not a 403 that confirms the id', async () => {
    const { t, post } = await setup();
    const response = await post('/introspect', { token: 'x' }, basic('basic-app', 'wrong'));
    assert.equal(response.status, 401);
    assert.notEqual(t.lastOutcome()?.reason, 'introspection_not_allowed');
  });

  it('lets a resource name its introspecting client: its own access tokens only', async () => {
    const t = await createTestServer({
      resources: [
        { uri: RESOURCE, scopes: ['mcp:tools'], introspectionClients: ['mcp-rs'] },
        { uri: OTHER_RESOURCE, scopes: ['api:read'] },
      ],
    });
    await t.addResourceServer('mcp-rs');
    const introspect = async (token: string) => {
      const response = await t.post('/introspect', { token }, basic('mcp-rs', SECRET));
      assert.equal(response.status, 200);
      return (await response.json()) as Json;
    };
    const own = await t.tokensFor();
    const info = await introspect(own.access_token);
    assert.equal(info.active, true);
    assert.equal(info.aud, RESOURCE);
    assert.equal(info.sub, 'user-alice');
    // §2.2: a token the caller may not introspect is inactive, nothing more.
    const other = await t.tokensFor({ resource: OTHER_RESOURCE, scope: 'api:read' });
    assert.deepEqual(await introspect(other.access_token), { active: false });
    // Refresh tokens are never presented to a resource server.
    assert.deepEqual(await introspect(own.refresh_token!), { active: false });
    assert.deepEqual(await introspect('garbage'), { active: false });
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
