/**
 * The client_credentials grant (issue #17 item 4, MCP-EXT-CC, decision 0042): off unless the
 * client's trust tier allows it; confidential clients only; `sub` is the client_id, the audience
 * the `resource`, the scope within the tier's ceiling; no refresh token; refused for blocked and
 * pending clients; audited like every issuance; its tokens introspect, revoke and stop with the
 * client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { type AuthorizationServerOptions, createAuthorizationServer } from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { assertRefusal } from './support/refusal.ts';
import { contextOf } from './support/server-internals.ts';
import {
  basic,
  createTestServer,
  ISSUER,
  OTHER_RESOURCE,
  RESOURCE,
  RESOURCE_SERVER,
  SECRET,
} from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;
type Tiers = NonNullable<NonNullable<AuthorizationServerOptions['governance']>['tiers']>;

const MACHINE = 'machine-app';

/** A test server whose `trusted` tier (static clients) has `tiers.trusted`, with a machine client. */
async function setup(tiers: Tiers = { trusted: { clientCredentials: true } }) {
  const t = await createTestServer({ governance: { tiers } });
  await t.addClient({
    client_id: MACHINE,
    client_secret: SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
  });
  return t;
}

function credentials(t: TestServer, params: Record<string, string> = {}, clientId = MACHINE) {
  return t.post(
    '/token',
    { grant_type: 'client_credentials', resource: RESOURCE, ...params },
    basic(clientId, SECRET),
  );
}

async function rule(t: TestServer, selector: string, state: 'blocked' | 'pending') {
  const at = t.now();
  await t.store.governance.putRule({ selector, state, updatedBy: 'cli:test', createdAt: at, updatedAt: at });
  await contextOf(t.server).governance.reload();
}

/** A machine client's fresh access token. */
async function accessToken(t: TestServer): Promise<string> {
  return ((await (await credentials(t)).json()) as { access_token: string }).access_token;
}

async function introspect(t: TestServer, token: string) {
  const response = await t.post('/introspect', { token }, basic(RESOURCE_SERVER, SECRET));
  return (await response.json()) as Record<string, unknown>;
}

describe('client_credentials: issued', () => {
  it('a token for the client itself: sub is the client_id, aud the resource, no refresh token', async () => {
    const t = await setup();
    const response = await credentials(t);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'mcp:tools', "the resource's default scopes");
    assert.equal(body.refresh_token, undefined);
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.sub, MACHINE);
    assert.equal(claims.client_id, MACHINE);
    assert.equal(claims.aud, RESOURCE);
    assert.equal(claims.iss, ISSUER);

    const [event] = await t.store.audit.list({ type: 'token.issued' });
    assert.equal(event?.clientId, MACHINE);
    assert.equal(event?.userId, undefined);
    assert.equal(event?.detail?.grant_type, 'client_credentials');
  });

  it('asks for a scope and another resource within the ceiling', async () => {
    const t = await setup();
    const response = await credentials(t, { scope: 'mcp:admin' });
    assert.equal(((await response.json()) as { scope: string }).scope, 'mcp:admin');
    const other = await credentials(t, { resource: OTHER_RESOURCE, scope: 'api:read' });
    const claims = decodeJwt(((await other.json()) as { access_token: string }).access_token);
    assert.equal(claims.aud, OTHER_RESOURCE);
  });

  it('introspects active with the client as subject; revoked, blocked or removed it is inactive', async () => {
    const t = await setup();
    await t.addResourceServer();
    const token = () => accessToken(t);

    const first = await token();
    const active = await introspect(t, first);
    assert.equal(active.active, true);
    assert.equal(active.sub, MACHINE);
    assert.equal(active.client_id, MACHINE);

    // RFC 7009: the client revokes its own access token.
    const revoked = await t.post('/revoke', { token: first }, basic(MACHINE, SECRET));
    assert.equal(revoked.status, 200);
    assert.deepEqual(await introspect(t, first), { active: false });

    const second = await token();
    await rule(t, MACHINE, 'blocked');
    assert.deepEqual(await introspect(t, second), { active: false });
    await t.store.governance.deleteRule(MACHINE);
    await contextOf(t.server).governance.reload();
    assert.equal((await introspect(t, second)).active, true);
    await t.store.clients.delete(MACHINE);
    assert.deepEqual(await introspect(t, second), { active: false });
  });

  it("an operator's revoke all ends the tokens issued until then, audited with who; later ones pass", async () => {
    const t = await setup();
    await t.addResourceServer();
    const token = () => accessToken(t);
    const before = await token();
    assert.equal((await introspect(t, before)).active, true);

    // The admin API's "revoke all" (the console and `gatehouse clients revoke` take the same path).
    t.advance(400);
    const admin = await t.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
    const revoked = await t.send(`${ISSUER}/admin/v1/clients/${MACHINE}/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    assert.equal(revoked.status, 200);
    assert.deepEqual(await introspect(t, before), { active: false });
    const [event] = await t.store.audit.list({ type: 'client.revoked' });
    assert.equal(event?.clientId, MACHINE);
    assert.equal(event?.actor, `admin-token:${admin.issued.id}`);
    assert.equal(event?.detail?.client_tokens_revoked_until, new Date(t.now()).toISOString());

    // `iat` has whole seconds: one issued in the second of the revocation counts as before it.
    const sameSecond = await token();
    assert.deepEqual(await introspect(t, sameSecond), { active: false });
    t.advance(1000);
    assert.equal((await introspect(t, await token())).active, true);
    // Kept in the store only as long as a token it ends can live (a day at most).
    t.advance(24 * 3600 * 1000);
    await t.store.purgeExpired(t.now());
    assert.equal(await t.store.tokenFamilies.clientTokensRevokedUntil(MACHINE, t.now()), undefined);
  });

  it('advertises the grant only when some tier allows it', async () => {
    const grants = async (tiers: Tiers) => {
      const server = createAuthorizationServer({
        issuer: ISSUER,
        store: createMemoryStore(),
        governance: { tiers },
      });
      const response = await server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`));
      const metadata = (await response.json()) as Record<string, string[]>;
      // MCP-EXT-CC: the methods a client credentials client authenticates with, and their algorithms.
      assert.ok(metadata.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
      assert.ok(metadata.token_endpoint_auth_methods_supported?.includes('client_secret_basic'));
      assert.ok(metadata.token_endpoint_auth_signing_alg_values_supported?.includes('ES256'));
      return metadata.grant_types_supported;
    };
    assert.deepEqual(await grants({}), ['authorization_code', 'refresh_token']);
    assert.deepEqual(await grants({ selfAsserted: { clientCredentials: true } }), [
      'authorization_code',
      'refresh_token',
      'client_credentials',
    ]);
  });
});

describe('client_credentials: refusals', () => {
  it('off by default: no tier allows it (client_credentials_not_allowed)', async () => {
    const t = await setup({});
    await assertRefusal(t, await credentials(t), {
      status: 400,
      error: 'unauthorized_client',
      reason: 'client_credentials_not_allowed',
    });
    assert.equal((await t.store.audit.list({ type: 'token.issued' })).length, 0);
  });

  it('a public client (client_credentials_public_client)', async () => {
    const t = await setup();
    await t.addClient({
      client_id: 'public-machine',
      token_endpoint_auth_method: 'none',
      grant_types: ['client_credentials'],
      response_types: [],
    });
    const response = await t.post('/token', {
      grant_type: 'client_credentials',
      client_id: 'public-machine',
      resource: RESOURCE,
    });
    await assertRefusal(t, response, {
      status: 400,
      error: 'unauthorized_client',
      reason: 'client_credentials_public_client',
    });
  });

  it('a client that did not register the grant (grant_not_registered)', async () => {
    const t = await setup();
    const response = await credentials(t, {}, 'basic-app');
    await assertRefusal(t, response, {
      status: 400,
      error: 'unauthorized_client',
      reason: 'grant_not_registered',
    });
  });

  it('a blocked client (client_blocked) and a pending one (client_pending)', async () => {
    const t = await setup();
    await rule(t, MACHINE, 'blocked');
    await assertRefusal(t, await credentials(t), {
      status: 401,
      error: 'invalid_client',
      reason: 'client_blocked',
    });
    await rule(t, MACHINE, 'pending');
    await assertRefusal(t, await credentials(t), {
      status: 400,
      error: 'unauthorized_client',
      reason: 'client_pending',
    });
    assert.equal((await t.store.audit.list({ type: 'token.issued' })).length, 0);
  });

  it("a scope outside the tier's ceiling (scope_not_allowed)", async () => {
    const t = await setup({ trusted: { clientCredentials: true, scopes: ['mcp:tools'] } });
    await assertRefusal(t, await credentials(t, { scope: 'mcp:admin' }), {
      status: 400,
      error: 'invalid_scope',
      reason: 'scope_not_allowed',
    });
  });

  it('a resource unknown, missing, or outside the tier (resource_unknown, resource_missing, resource_not_allowed_for_tier)', async () => {
    const t = await setup({ trusted: { clientCredentials: true, resources: [RESOURCE] } });
    await assertRefusal(t, await credentials(t, { resource: 'https://elsewhere.example.test/' }), {
      status: 400,
      error: 'invalid_target',
      reason: 'resource_unknown',
    });
    await assertRefusal(t, await credentials(t, { resource: OTHER_RESOURCE, scope: 'api:read' }), {
      status: 400,
      error: 'invalid_target',
      reason: 'resource_not_allowed_for_tier',
    });
    const response = await t.post('/token', { grant_type: 'client_credentials' }, basic(MACHINE, SECRET));
    await assertRefusal(t, response, { status: 400, error: 'invalid_target', reason: 'resource_missing' });
  });

  it('a wrong secret is invalid_client, before any policy', async () => {
    const t = await setup();
    const response = await t.post(
      '/token',
      { grant_type: 'client_credentials', resource: RESOURCE },
      basic(MACHINE, `${SECRET}-wrong`),
    );
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });
});
