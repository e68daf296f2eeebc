/**
 * The jwt-bearer grant (RFC 7523 §2.1, decision 0043) in process: ID-JAG exchange (MCP-EXT-EMA)
 * with every refusal its checks name, and workload identity federation (SEP-1933): a workload
 * recorded as a governed client on its first exchange, refused once blocked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { assertRefusal } from './support/refusal.ts';
import { basic, createTestServer, ISSUER, RESOURCE, RESOURCE_SERVER, SECRET } from './support/test-server.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const IDP = 'https://idp.example.test';
const CI = 'https://ci.example.test';
/** The client the CI rule below names for the test's workload token. */
const WORKLOAD = 'workload:ci/acme/deploy';

async function issuerKeys(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
  return { privateKey, jwks: { keys: [jwk] }, kid };
}

async function setup(overrides: { accounts?: 'existing' | 'provision'; mode?: 'open' | 'approval' } = {}) {
  const idp = await issuerKeys('idp-1');
  const ci = await issuerKeys('ci-1');
  const t = await createTestServer({
    enterprise: {
      identityProviders: [{ issuer: IDP, jwks: idp.jwks, accounts: overrides.accounts ?? 'existing' }],
    },
    workloadIdentity: {
      issuers: [
        {
          issuer: CI,
          jwks: ci.jwks,
          rules: [
            {
              match: { sub: 'repo:acme/*', claims: { ref: 'refs/heads/main' } },
              clientId: 'workload:ci/{repository}',
              scope: ['mcp:tools'],
            },
          ],
        },
      ],
    },
    ...(overrides.mode === undefined ? {} : { governance: { mode: overrides.mode } }),
  });
  await t.addClient({
    client_id: 'agent',
    client_secret: SECRET,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: [JWT_BEARER],
    redirect_uris: [],
    response_types: [],
  });
  // The account the IdP subject 'u-alice' is linked to, by the documented name.
  await t.store.users.create({
    id: 'user-linked',
    username: 'idp.example.test#u-alice',
    passwordHash: '!',
    createdAt: t.now(),
  });
  const seconds = () => Math.floor(t.now() / 1000);
  const idJag = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({
      client_id: 'agent',
      resource: RESOURCE,
      scope: 'mcp:tools',
      jti: crypto.randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: idp.kid, typ: 'oauth-id-jag+jwt', ...header })
      .setIssuer(IDP)
      .setSubject((claims.sub as string | undefined) ?? 'u-alice')
      .setAudience((claims.aud as string | undefined) ?? ISSUER)
      .setIssuedAt(seconds())
      .setExpirationTime((claims.exp as number | undefined) ?? seconds() + 120)
      .sign(idp.privateKey);
  const workloadToken = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ repository: 'acme/deploy', ref: 'refs/heads/main', jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: ci.kid, typ: 'JWT' })
      .setIssuer(CI)
      .setSubject((claims.sub as string | undefined) ?? 'repo:acme/deploy:ref:refs/heads/main')
      .setAudience(ISSUER)
      .setIssuedAt(seconds())
      .setExpirationTime(seconds() + 300)
      .sign(ci.privateKey);
  const exchange = (assertion: string, extra: Record<string, string> = {}) =>
    t.post('/token', {
      grant_type: JWT_BEARER,
      assertion,
      client_id: 'agent',
      client_secret: SECRET,
      resource: RESOURCE,
      ...extra,
    });
  const workloadExchange = (assertion: string, extra: Record<string, string> = {}) =>
    t.post('/token', { grant_type: JWT_BEARER, assertion, resource: RESOURCE, ...extra });
  return { t, idJag, workloadToken, exchange, workloadExchange };
}

describe('jwt-bearer grant: ID-JAG (MCP-EXT-EMA)', () => {
  it('exchanges an ID-JAG for an access token of the linked account, with no refresh token', async () => {
    const { t, idJag, exchange } = await setup();
    const response = await exchange(await idJag());
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'mcp:tools');
    assert.equal(body.refresh_token, undefined);
    const [, payload] = String(body.access_token).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.sub, 'user-linked');
    assert.equal(claims.aud, RESOURCE);
    assert.equal(claims.client_id, 'agent');
    const events = await t.store.audit.list({ type: 'token.issued' });
    assert.equal(events.at(-1)?.detail?.grant_type, 'jwt-bearer');
    assert.equal(events.at(-1)?.detail?.assertion, 'id-jag');
  });

  it('advertises the grant once an issuer is configured', async () => {
    const { t } = await setup();
    const metadata = (await (await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)).json()) as {
      grant_types_supported: string[];
    };
    assert.ok(metadata.grant_types_supported.includes(JWT_BEARER));
  });

  it('refuses each failed check with its reason', async () => {
    const { t, idJag, exchange } = await setup();
    const cases: [string, Promise<string>, Record<string, string>, string, string][] = [
      ['replayed jti', Promise.resolve(''), {}, 'invalid_grant', 'jwt_bearer_replayed'],
      [
        'wrong audience',
        idJag({ aud: 'https://other.example.test' }),
        {},
        'invalid_grant',
        'jwt_bearer_audience',
      ],
      ['wrong client', idJag({ client_id: 'someone-else' }), {}, 'invalid_grant', 'id_jag_client_mismatch'],
      [
        'expired',
        idJag({ exp: Math.floor(t.now() / 1000) - 120 }),
        {},
        'invalid_grant',
        'jwt_bearer_expired',
      ],
      [
        'too long',
        idJag({ exp: Math.floor(t.now() / 1000) + 3600 }),
        {},
        'invalid_grant',
        'jwt_bearer_lifetime',
      ],
      ['wrong typ', idJag({}, { typ: 'JWT' }), {}, 'invalid_grant', 'jwt_bearer_typ'],
      [
        'other resource',
        idJag(),
        { resource: 'https://api.example.test' },
        'invalid_grant',
        'id_jag_resource_mismatch',
      ],
      ['unknown subject', idJag({ sub: 'u-nobody' }), {}, 'invalid_grant', 'id_jag_account_unknown'],
      ['not a JWT', Promise.resolve('not-a-jwt'), {}, 'invalid_grant', 'jwt_bearer_malformed'],
    ];
    const used = await idJag();
    assert.equal((await exchange(used)).status, 200);
    for (const [name, assertion, extra, error, reason] of cases) {
      const response = await exchange((await assertion) || used, extra);
      await assertRefusal(t, response, { status: 400, error, reason }).catch((failure: Error) => {
        throw new Error(`${name}: ${failure.message}`);
      });
    }
  });

  it('refuses an unknown issuer and a signature by another key', async () => {
    const { t, exchange } = await setup();
    const stranger = await issuerKeys('idp-1');
    const forged = (issuer: string) =>
      new SignJWT({ client_id: 'agent', jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'oauth-id-jag+jwt' })
        .setIssuer(issuer)
        .setSubject('u-alice')
        .setAudience(ISSUER)
        .setIssuedAt(Math.floor(t.now() / 1000))
        .setExpirationTime(Math.floor(t.now() / 1000) + 60)
        .sign(stranger.privateKey);
    await assertRefusal(t, await exchange(await forged('https://evil.example.test')), {
      status: 400,
      error: 'invalid_grant',
      reason: 'jwt_bearer_issuer_unknown',
    });
    await assertRefusal(t, await exchange(await forged(IDP)), {
      status: 400,
      error: 'invalid_grant',
      reason: 'jwt_bearer_signature',
    });
  });

  it('refuses a public client, and provisions an account on first use when configured', async () => {
    const { t, idJag, exchange } = await setup({ accounts: 'provision' });
    await t.addClient({
      client_id: 'public-agent',
      token_endpoint_auth_method: 'none',
      grant_types: [JWT_BEARER],
      redirect_uris: [],
      response_types: [],
    });
    const response = await t.post('/token', {
      grant_type: JWT_BEARER,
      assertion: await idJag({ client_id: 'public-agent' }),
      client_id: 'public-agent',
    });
    await assertRefusal(t, response, {
      status: 400,
      error: 'unauthorized_client',
      reason: 'id_jag_public_client',
    });
    const provisioned = await exchange(await idJag({ sub: 'u-new' }));
    assert.equal(provisioned.status, 200);
    const user = await t.store.users.findByUsername('idp.example.test#u-new');
    assert.ok(user !== undefined);
    const events = await t.store.audit.list({ type: 'user.provisioned' });
    assert.equal(events.at(-1)?.userId, user.id);
  });
});

describe('jwt-bearer grant: issuer keys at a jwks_uri', () => {
  it('refuses while the issuer keys cannot be fetched, and reads them through the fetcher once they can', async () => {
    const idp = await issuerKeys('idp-uri');
    let reachable = false;
    const fetched: string[] = [];
    const t = await createTestServer({
      enterprise: { identityProviders: [{ issuer: IDP, jwksUri: `${IDP}/jwks`, accounts: 'provision' }] },
      fetchJwks: async (uri) => {
        fetched.push(uri);
        if (!reachable) throw new Error('connect refused');
        return idp.jwks;
      },
    });
    await t.addClient({
      client_id: 'agent',
      client_secret: SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [JWT_BEARER],
      redirect_uris: [],
      response_types: [],
    });
    const assertion = () =>
      new SignJWT({ client_id: 'agent', jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-uri', typ: 'oauth-id-jag+jwt' })
        .setIssuer(IDP)
        .setSubject('u-bob')
        .setAudience(ISSUER)
        .setIssuedAt(Math.floor(t.now() / 1000))
        .setExpirationTime(Math.floor(t.now() / 1000) + 60)
        .sign(idp.privateKey);
    const exchange = async () =>
      t.post('/token', {
        grant_type: JWT_BEARER,
        assertion: await assertion(),
        client_id: 'agent',
        client_secret: SECRET,
      });
    await assertRefusal(t, await exchange(), {
      status: 400,
      error: 'invalid_grant',
      reason: 'jwt_bearer_keys_unavailable',
    });
    reachable = true;
    t.advance(60_000);
    assert.equal((await exchange()).status, 200);
    assert.deepEqual([...new Set(fetched)], [`${IDP}/jwks`]);
  });
});

describe('jwt-bearer grant: workload identity federation (SEP-1933)', () => {
  it('records the workload as a client on its first exchange, then refuses it once blocked', async () => {
    const { t, workloadToken, workloadExchange } = await setup();
    const response = await workloadExchange(await workloadToken());
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.scope, 'mcp:tools');
    const claims = JSON.parse(
      Buffer.from(String(body.access_token).split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    assert.equal(claims.sub, 'workload:ci/acme/deploy');
    assert.equal(claims.client_id, 'workload:ci/acme/deploy');
    const client = await t.store.clients.get('workload:ci/acme/deploy');
    assert.equal(client?.kind, 'workload');

    await t.server.governance.block('workload:ci/acme/deploy', { actor: 'cli:test' });
    await assertRefusal(t, await workloadExchange(await workloadToken()), {
      status: 401,
      error: 'invalid_client',
      reason: 'client_blocked',
    });
  });

  it('is a token the workload holds for itself: sub the client_id, no family, ends with the client', async () => {
    const { t, workloadToken, workloadExchange } = await setup();
    await t.addResourceServer();
    const token = async () =>
      ((await (await workloadExchange(await workloadToken())).json()) as { access_token: string })
        .access_token;
    const introspect = async (value: string) =>
      (await (
        await t.post('/introspect', { token: value }, basic(RESOURCE_SERVER, SECRET))
      ).json()) as Record<string, unknown>;
    const first = await token();
    const claims = decodeJwt(first);
    assert.equal(claims.sub, WORKLOAD);
    assert.equal(claims.client_id, WORKLOAD);
    // The one path of client_credentials (tokens/client-token.ts): no family, no stand-in user.
    assert.match(String(claims.jti), /^client-/);
    assert.deepEqual(await t.store.tokenFamilies.listByClient(WORKLOAD), []);
    const [event] = await t.store.audit.list({ type: 'token.issued', clientId: WORKLOAD });
    assert.equal(event?.userId, undefined);
    assert.equal(event?.detail?.grant_type, 'jwt-bearer');
    assert.equal(event?.detail?.assertion, 'workload');

    const active = await introspect(first);
    assert.equal(active.active, true);
    assert.equal(active.sub, WORKLOAD);
    assert.equal(active.client_id, WORKLOAD);
    // `clients block`: its tokens are inactive at once, with no family to revoke; and, as a block
    // revokes every session, the tokens issued until then stay so after an unblock.
    await t.server.governance.block(WORKLOAD, { actor: 'cli:test' });
    assert.deepEqual(await introspect(first), { active: false });
    await t.server.governance.unblock(WORKLOAD, { actor: 'cli:test' });
    assert.deepEqual(await introspect(first), { active: false });
    t.advance(1000);
    const second = await token();
    assert.equal((await introspect(second)).active, true);
    await t.store.clients.delete(WORKLOAD);
    assert.deepEqual(await introspect(second), { active: false });
  });

  it('refuses a token no rule matches, before recording anything, and scope outside the rule', async () => {
    const { t, workloadToken, workloadExchange } = await setup();
    await assertRefusal(t, await workloadExchange(await workloadToken({ ref: 'refs/heads/feature' })), {
      status: 400,
      error: 'invalid_grant',
      reason: 'workload_no_rule',
    });
    assert.equal(await t.store.clients.get('workload:ci/acme/deploy'), undefined);
    await assertRefusal(t, await workloadExchange(await workloadToken(), { scope: 'mcp:admin' }), {
      status: 400,
      error: 'invalid_scope',
      reason: 'scope_not_allowed',
    });
  });

  it('puts a new workload in approval mode as pending', async () => {
    const { t, workloadToken, workloadExchange } = await setup({ mode: 'approval' });
    await assertRefusal(t, await workloadExchange(await workloadToken()), {
      status: 400,
      error: 'unauthorized_client',
      reason: 'client_pending',
    });
    assert.equal((await t.store.clients.get('workload:ci/acme/deploy'))?.kind, 'workload');
  });
});
