/**
 * Against a real Gatehouse in process (`createAuthorizationServer` with the memory store, the
 * endpoint tests' harness): a token it issues verifies locally through its real metadata and JWKS,
 * and introspection mode (RFC 7662) asks its real introspection endpoint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createTestServer,
  ISSUER,
  OTHER_RESOURCE,
  RESOURCE,
  SECRET,
} from '../../server/test/support/test-server.ts';
import { createResourceServer, type ResourceServerOptions } from '../src/index.ts';
import { type DpopKey, dpopKey } from './support/fixture.ts';

async function setup(
  options: Partial<ResourceServerOptions> = {},
  gatehouse: Parameters<typeof createTestServer>[0] = { introspection: { clients: ['mcp-rs'] } },
) {
  // Gatehouse lets only the clients its operator names introspect (RFC 7662 §2.1, decision 0029);
  // by default this resource server may introspect every token.
  const t = await createTestServer(gatehouse);
  await t.addResourceServer('mcp-rs');
  const calls: string[] = [];
  // Requests to Gatehouse go to its fetch handler: the real endpoints, no sockets.
  const fetchGatehouse = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push(new URL(request.url).pathname);
    return t.server.fetch(request);
  }) as typeof fetch;
  const rs = createResourceServer({
    issuer: ISSUER,
    resource: RESOURCE,
    fetch: fetchGatehouse,
    now: t.now,
    ...options,
  });
  const bearer = (token: string) =>
    new Request(RESOURCE, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return { t, rs, calls, bearer };
}

const introspection = { clientId: 'mcp-rs', clientSecret: SECRET };

/** A DPoP-bound token from Gatehouse's real token endpoint (RFC 9449 §5), answering its nonce if asked. */
async function dpopBoundToken(t: Awaited<ReturnType<typeof createTestServer>>, key: DpopKey) {
  const params = t.redeemParams(await t.authorize());
  const htu = `${ISSUER}/token`;
  let response = await t.token(params, { dpop: await key.proof({ htu }) });
  const nonce = response.headers.get('dpop-nonce');
  if (response.status === 400 && nonce !== null) {
    response = await t.token(params, { dpop: await key.proof({ htu, nonce }) });
  }
  assert.equal(response.status, 200);
  const body = (await response.json()) as { access_token: string; token_type: string };
  assert.equal(body.token_type, 'DPoP');
  return body.access_token;
}

describe('a real Gatehouse-issued token, verified locally (RFC 9068)', () => {
  it('is accepted through the discovered jwks_uri, with Gatehouse’s claims in AuthInfo', async () => {
    const { t, rs, calls, bearer } = await setup();
    const tokens = await t.tokensFor();
    const result = await rs.authenticate(bearer(tokens.access_token), { scopes: ['mcp:tools'] });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.auth.clientId, 'public-app');
    assert.equal(result.auth.extra.sub, 'user-alice');
    assert.deepEqual(result.auth.scopes, ['mcp:tools']);
    assert.deepEqual(calls, ['/.well-known/oauth-authorization-server', '/jwks']);
  });
  it('a token Gatehouse issued for another resource is refused here (MCP-10)', async () => {
    const { t, rs, bearer } = await setup();
    const tokens = await t.tokensFor({ resource: OTHER_RESOURCE, scope: 'api:read' });
    const result = await rs.authenticate(bearer(tokens.access_token));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.reason, 'token_audience');
  });
  it('expires with Gatehouse’s clock', async () => {
    const { t, rs, bearer } = await setup();
    const tokens = await t.tokensFor();
    t.advance((tokens.expires_in + 60) * 1000);
    const result = await rs.authenticate(bearer(tokens.access_token));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.reason, 'token_expired');
  });
  it('step-up: mcp:admin is not in the token, 403 names it', async () => {
    const { t, rs, bearer } = await setup();
    const tokens = await t.tokensFor();
    const result = await rs.authenticate(bearer(tokens.access_token), { scopes: ['mcp:admin'] });
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.response.status, 403);
      assert.match(result.response.headers.get('www-authenticate')!, /scope="mcp:admin"/);
    }
  });
});

describe('introspection mode (RFC 7662)', () => {
  it('an active token is accepted, from the discovered introspection_endpoint', async () => {
    const { t, rs, calls, bearer } = await setup({ introspection });
    const tokens = await t.tokensFor();
    const result = await rs.authenticate(bearer(tokens.access_token), { scopes: ['mcp:tools'] });
    assert.equal(result.ok, true);
    if (result.ok) {
      assert.equal(result.auth.clientId, 'public-app');
      assert.equal(result.auth.extra.claims.active, true);
    }
    assert.deepEqual(calls, ['/.well-known/oauth-authorization-server', '/introspect']);
  });
  it('a revoked token stops working at once when answers are not cached', async () => {
    const { t, rs, bearer } = await setup({ introspection: { ...introspection, cacheSeconds: 0 } });
    const tokens = await t.tokensFor();
    assert.equal((await rs.authenticate(bearer(tokens.access_token))).ok, true);
    await t.post('/revoke', { token: tokens.access_token, client_id: 'public-app' });
    const result = await rs.authenticate(bearer(tokens.access_token));
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.reason, 'token_inactive');
      assert.equal(result.response.status, 401);
    }
  });
  it('active answers are cached briefly (default 30 s), then asked again', async () => {
    const { t, rs, calls, bearer } = await setup({ introspection });
    const tokens = await t.tokensFor();
    for (let i = 0; i < 3; i++) assert.equal((await rs.authenticate(bearer(tokens.access_token))).ok, true);
    assert.equal(calls.filter((path) => path === '/introspect').length, 1);
    t.advance(31_000);
    assert.equal((await rs.authenticate(bearer(tokens.access_token))).ok, true);
    assert.equal(calls.filter((path) => path === '/introspect').length, 2);
  });
  it('the same audience check applies: another resource’s active token is refused', async () => {
    const { t, rs, bearer } = await setup({ introspection });
    const tokens = await t.tokensFor({ resource: OTHER_RESOURCE, scope: 'api:read' });
    const result = await rs.authenticate(bearer(tokens.access_token));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.reason, 'token_audience');
  });
  it('a refresh token is not an access token, though introspection calls it active', async () => {
    const { t, rs, bearer } = await setup({ introspection });
    const tokens = await t.tokensFor();
    const result = await rs.authenticate(bearer(tokens.refresh_token!));
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.response.status, 401);
      assert.equal(result.error.error, 'invalid_token');
      assert.equal(result.error.reason, 'token_not_access_token');
    }
  });
  it('garbage is inactive: 401', async () => {
    const { rs, bearer } = await setup({ introspection });
    const result = await rs.authenticate(bearer('not-a-token'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.reason, 'token_inactive');
  });
  it('a resource server named by its resource alone (introspection_clients) accepts its tokens', async () => {
    const { t, rs, bearer } = await setup(
      { introspection },
      {
        resources: [
          { uri: RESOURCE, scopes: ['mcp:tools'], introspectionClients: ['mcp-rs'] },
          { uri: OTHER_RESOURCE, scopes: ['api:read'] },
        ],
      },
    );
    const result = await rs.authenticate(bearer((await t.tokensFor()).access_token));
    assert.equal(result.ok, true);
    const refresh = await rs.authenticate(bearer((await t.tokensFor()).refresh_token!));
    assert.equal(refresh.ok, false);
    if (!refresh.ok) assert.equal(refresh.error.reason, 'token_inactive');
  });
  it('a resource server Gatehouse does not let introspect: 503, the client is not blamed', async () => {
    const { t, rs, bearer } = await setup({ introspection }, {});
    const result = await rs.authenticate(bearer((await t.tokensFor()).access_token));
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.response.status, 503);
      assert.doesNotMatch(await result.response.text(), /introspect|unauthorized_client|mcp-rs/);
    }
  });
  it('wrong resource server credentials: 503, the client is not blamed and nothing leaks', async () => {
    const { t, rs, bearer } = await setup({
      introspection: { clientId: 'mcp-rs', clientSecret: 'wrong-secret-wrong-secret-wrong-secret' },
    });
    const tokens = await t.tokensFor();
    const result = await rs.authenticate(bearer(tokens.access_token));
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.response.status, 503);
      assert.doesNotMatch(await result.response.text(), /introspect|invalid_client|mcp-rs/);
    }
  });
});

describe('a real Gatehouse DPoP-bound token (RFC 9449 §6, §7)', () => {
  for (const mode of ['local JWT verification', 'introspection'] as const) {
    it(`${mode}: accepted with the DPoP scheme and a proof, refused as Bearer`, async () => {
      const { t, rs } = await setup(mode === 'introspection' ? { introspection } : {});
      const key = await dpopKey(t.now);
      const token = await dpopBoundToken(t, key);
      const dpop = new Request(RESOURCE, {
        method: 'POST',
        headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ token, htu: RESOURCE }) },
      });
      const result = await rs.authenticate(dpop);
      assert.equal(result.ok, true);
      if (result.ok) assert.equal(result.auth.extra.jkt, key.jkt);
      const asBearer = await rs.authenticate(
        new Request(RESOURCE, { method: 'POST', headers: { authorization: `Bearer ${token}` } }),
      );
      assert.equal(asBearer.ok, false);
      if (!asBearer.ok) assert.equal(asBearer.error.reason, 'token_dpop_bound');
    });
  }
});
