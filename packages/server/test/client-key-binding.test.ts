/**
 * Token families bound to the client key they started with: AT-9 ("refresh must use the same key and
 * method"), CIMD-CHG-3 (revoke when that key leaves the metadata), CIMD-CHG-2 (rotation is routine).
 * Decision 0008 (docs/decisions/0008-client-key-binding.md). Everything goes through `server.fetch`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import { APP_REDIRECT, basic, createTestServer, ISSUER, SECRET, VERIFIER } from './support/test-server.ts';

type Body = Record<string, unknown>;

const JWKS_URI = 'https://client.example.test/jwks.json';
const CLIENT = 'bound-app';

async function keyPair(kid: string) {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' };
  return { ...pair, jwk, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}
type Key = Awaited<ReturnType<typeof keyPair>>;

const keyA = await keyPair('key-a');
const keyB = await keyPair('key-b');

async function json(response: Response, status: number): Promise<Body> {
  const body = (await response.json()) as Body;
  assert.equal(response.status, status, JSON.stringify(body));
  return body;
}

async function setup() {
  let served: unknown = { keys: [keyA.jwk, keyB.jwk] };
  let fetches = 0;
  const t = await createTestServer({
    fetchJwks: async (uri) => {
      assert.equal(uri, JWKS_URI);
      fetches += 1;
      return served;
    },
    // Longer than the 5 min JWKS cache TTL, so a revoked family's access token is still unexpired
    // when introspected after the key set is re-fetched.
    lifetimes: { accessTokenSeconds: 3600 },
    // The client introspects its own tokens with each key, so it is a resource server too (decision 0029).
    introspection: { clients: [CLIENT] },
  });
  const metadata = {
    client_id: CLIENT,
    token_endpoint_auth_method: 'private_key_jwt',
    jwks_uri: JWKS_URI,
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [APP_REDIRECT],
  };
  await t.addClient(metadata);

  /** Client authentication parameters: an ES256 assertion signed with `key`. */
  async function signedBy(key: Key): Promise<Record<string, string>> {
    const seconds = Math.floor(t.now() / 1000);
    const jwt = await new SignJWT({
      iss: CLIENT,
      sub: CLIENT,
      aud: ISSUER,
      iat: seconds,
      exp: seconds + 60,
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid! })
      .sign(key.privateKey);
    return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt };
  }

  /** Authorizes as alice and redeems the code, authenticating with `key`. */
  async function redeem(key: Key): Promise<{ access: string; refresh: string }> {
    const callback = await t.authorize({ client_id: CLIENT });
    const body = await json(
      await t.post('/token', {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: APP_REDIRECT,
        code_verifier: VERIFIER,
        ...(await signedBy(key)),
      }),
      200,
    );
    return { access: body.access_token as string, refresh: body.refresh_token as string };
  }

  const refresh = async (token: string, key: Key) =>
    t.post('/token', { grant_type: 'refresh_token', refresh_token: token, ...(await signedBy(key)) });

  async function introspect(token: string, key: Key): Promise<Body> {
    return json(await t.post('/introspect', { token, ...(await signedBy(key)) }), 200);
  }

  async function onlyFamily(clientId = CLIENT) {
    const families = await t.store.tokenFamilies.listByClient(clientId);
    assert.equal(families.length, 1);
    return families[0]!;
  }

  return {
    t,
    metadata,
    redeem,
    refresh,
    introspect,
    onlyFamily,
    fetches: () => fetches,
    serve(value: unknown) {
      served = value;
    },
  };
}

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

/**
 * 400 invalid_grant. The stable reason is not on the wire (only error and description are), so it is
 * read from the newest audit event; `family_revoked` is the plain refusal of an already revoked family.
 */
async function refusedWith(t: TestServer, response: Response, reason: string): Promise<void> {
  const body = await json(response, 400);
  assert.equal(body.error, 'invalid_grant');
  if (reason === 'family_revoked') {
    assert.match(String(body.error_description), /revoked/);
    return;
  }
  const [newest] = await t.store.audit.list();
  assert.equal(newest?.reason, reason);
  assert.equal(newest?.clientId, CLIENT);
}

describe('client key binding (AT-9, CIMD-CHG-3)', () => {
  it('binds the family to the RFC 7638 thumbprint of the key that redeemed the code; that key refreshes', async () => {
    const { t, redeem, refresh, onlyFamily } = await setup();
    const tokens = await redeem(keyA);
    assert.equal((await onlyFamily()).clientKeyThumbprint, keyA.thumbprint);
    const first = await json(await refresh(tokens.refresh, keyA), 200);
    t.advance(60_000);
    const second = await json(await refresh(first.refresh_token as string, keyA), 200);
    assert.equal(typeof second.access_token, 'string');
    assert.equal((await onlyFamily()).revokedAt, undefined);
  });

  it('refuses a refresh signed by another published key, without revoking (client_key_mismatch)', async () => {
    const { t, redeem, refresh, introspect, onlyFamily } = await setup();
    const tokens = await redeem(keyA);
    await refusedWith(t, await refresh(tokens.refresh, keyB), 'client_key_mismatch');
    const family = await onlyFamily();
    assert.equal(family.revokedAt, undefined, 'routine rotation must not revoke (CIMD-CHG-2)');
    assert.equal((await introspect(tokens.access, keyB)).active, true);
    // The refused attempt did not burn the refresh token: the rightful key still refreshes.
    await json(await refresh(tokens.refresh, keyA), 200);
  });

  it('revokes the family when the bound key leaves the jwks_uri set (client_key_removed)', async () => {
    const { t, redeem, refresh, introspect, onlyFamily, serve, fetches } = await setup();
    const tokens = await redeem(keyA);
    assert.equal((await introspect(tokens.access, keyA)).active, true);
    // The client drops key A; once the cached set is older than its TTL, the next use re-fetches.
    serve({ keys: [keyB.jwk] });
    t.advance(5 * 60_000 + 1);
    await refusedWith(t, await refresh(tokens.refresh, keyB), 'client_key_removed');
    assert.equal(fetches(), 2);
    const family = await onlyFamily();
    assert.equal(family.revokedReason, 'client_key_removed');
    assert.equal(family.revokedAt, t.now());
    assert.deepEqual(await introspect(tokens.access, keyB), { active: false });
    // Revoked for good: key B cannot refresh it, and neither could key A (no longer a client key).
    await refusedWith(t, await refresh(tokens.refresh, keyB), 'family_revoked');
    const refusedA = await json(await refresh(tokens.refresh, keyA), 401);
    assert.equal(refusedA.error, 'invalid_client');
  });

  it('revokes when a still-cached set hides the removal, by re-fetching before deciding', async () => {
    const { t, redeem, refresh, onlyFamily, serve, fetches } = await setup();
    const tokens = await redeem(keyA);
    serve({ keys: [keyB.jwk] });
    // Within the cache TTL but past the re-fetch cooldown: the mismatch path asks for a fresh set.
    t.advance(31_000);
    await refusedWith(t, await refresh(tokens.refresh, keyB), 'client_key_removed');
    assert.equal(fetches(), 2);
    assert.equal((await onlyFamily()).revokedReason, 'client_key_removed');
  });

  it('revokes when the client no longer authenticates with a key (client_auth_method_changed)', async () => {
    const { t, metadata, redeem, onlyFamily } = await setup();
    const tokens = await redeem(keyA);
    const { jwks_uri: _dropped, ...rest } = metadata;
    await t.store.clients.put(
      prepareStaticClient(
        { ...rest, token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET },
        t.now(),
      ).record,
    );
    const response = await t.post(
      '/token',
      { grant_type: 'refresh_token', refresh_token: tokens.refresh },
      basic(CLIENT, SECRET),
    );
    await refusedWith(t, response, 'client_auth_method_changed');
    assert.equal((await onlyFamily()).revokedReason, 'client_auth_method_changed');
  });

  it('leaves families of public and secret clients unbound', async () => {
    const { t, onlyFamily } = await setup();
    const publicTokens = await t.tokensFor();
    assert.equal(typeof publicTokens.refresh_token, 'string');
    assert.equal('clientKeyThumbprint' in (await onlyFamily('public-app')), false);

    const callback = await t.authorize({ client_id: 'basic-app' });
    await json(
      await t.post(
        '/token',
        {
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: APP_REDIRECT,
          code_verifier: VERIFIER,
        },
        basic('basic-app', SECRET),
      ),
      200,
    );
    assert.equal('clientKeyThumbprint' in (await onlyFamily('basic-app')), false);
    // And an unbound family refreshes as before.
    await json(
      await t.post('/token', {
        grant_type: 'refresh_token',
        refresh_token: publicTokens.refresh_token!,
        client_id: 'public-app',
      }),
      200,
    );
  });
});
