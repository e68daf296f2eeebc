/**
 * private_key_jwt client authentication: RFC 7523 §2.2 and §3, RFC 7521 §4.2, OAuth 2.1 §2.4.1;
 * CIMD-AUTH-1..3, CIMD-CHG-2 (key rotation), AT-9, AT-12 and MCP-EXT-CC (metadata).
 * Endpoint tests go through `server.fetch`; the refusal table calls `authenticateClient` directly so
 * it can assert the stable reason of each refusal.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { OAuthError } from '@gatehouse-oauth/core';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { authenticateClient } from '../src/clients/client-authentication.ts';
import { createClientJwksCache } from '../src/clients/client-jwks.ts';
import { storedClientResolver } from '../src/clients/client-resolver.ts';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import { APP_REDIRECT, basic, createTestServer, ISSUER, SECRET, VERIFIER } from './support/test-server.ts';

type Body = Record<string, unknown>;
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

const JWKS_URI = 'https://client.example.test/jwks.json';

async function keyPair(alg: 'ES256' | 'RS256', kid: string, extra: Partial<JWK> = {}) {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, ...extra };
  return { ...pair, jwk, alg };
}

const es = await keyPair('ES256', 'es-1', { use: 'sig' });
// AT Protocol clients publish public keys with key_ops ["sign"]; WebCrypto refuses to import those
// for verification, so the server must not pass key_ops through.
const rs = await keyPair('RS256', 'rs-1', { key_ops: ['sign'] });
const rsRotated = await keyPair('RS256', 'rs-2');
const impostor = await keyPair('ES256', 'es-1');

interface AssertionOptions {
  key?: KeyPair['privateKey'] | Uint8Array;
  alg?: string;
  kid?: string | undefined;
  typ?: string;
  claims?: Record<string, unknown>;
  omit?: readonly string[];
}

/** A fresh, valid assertion for `clientId` at `now`, with whatever the test changes. */
async function assertion(clientId: string, now: number, options: AssertionOptions = {}): Promise<string> {
  const seconds = Math.floor(now / 1000);
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: ISSUER,
    iat: seconds,
    exp: seconds + 60,
    jti: randomUUID(),
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  const alg = options.alg ?? 'ES256';
  const kid = 'kid' in options ? options.kid : alg.startsWith('RS') ? 'rs-1' : 'es-1';
  return new SignJWT(claims)
    .setProtectedHeader({
      alg,
      ...(kid === undefined ? {} : { kid }),
      ...(options.typ === undefined ? {} : { typ: options.typ }),
    })
    .sign(options.key ?? (alg.startsWith('RS') ? rs.privateKey : es.privateKey));
}

function assertionParams(jwt: string, extra: Record<string, string> = {}): Record<string, string> {
  return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt, ...extra };
}

async function setup(options: { fetcher?: boolean; strictAudience?: boolean } = {}) {
  let served: unknown = { keys: [rs.jwk] };
  let fetches = 0;
  const fetchJwks = async (uri: string) => {
    assert.equal(uri, JWKS_URI);
    fetches += 1;
    if (served instanceof Error) throw served;
    return served;
  };
  const t = await createTestServer({
    // These clients authenticate at introspection too, so they are resource servers (decision 0029).
    introspection: { clients: ['jwt-es', 'jwt-rs', 'jwt-uri'] },
    ...(options.fetcher === false ? {} : { fetchJwks }),
    ...(options.strictAudience === true ? { strictClientAssertionAudience: true } : {}),
  });
  const grants = { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [APP_REDIRECT] };
  await t.addClient({
    client_id: 'jwt-es',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [es.jwk] },
    ...grants,
  });
  await t.addClient({
    client_id: 'jwt-rs',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [rs.jwk] },
    ...grants,
  });
  await t.addClient({
    client_id: 'jwt-uri',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks_uri: JWKS_URI,
    ...grants,
  });
  await t.addClient({
    client_id: 'jwt-es-only',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [es.jwk, rs.jwk] },
    ...grants,
  });
  // The same checks as the server's own, but called directly so refusals show their reason.
  const dependencies = {
    clients: storedClientResolver(t.store.clients),
    clientAssertions: {
      issuer: ISSUER,
      endpointAudiences: [`${ISSUER}/token`, `${ISSUER}/par`],
      strictAudience: options.strictAudience ?? false,
      replay: t.store.replay,
      jwks: createClientJwksCache(options.fetcher === false ? {} : { fetchJwks }),
    },
  };
  const authenticate = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    authenticateClient(
      new Request(`${ISSUER}/token`, { method: 'POST', headers }),
      new Map(Object.entries(params)),
      dependencies,
      t.now(),
    );
  const refusal = async (
    reason: string,
    params: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    await assert.rejects(authenticate(params, headers), (error: OAuthError) => {
      assert.equal(error.reason, reason, `${error.reason}: ${error.description}`);
      return true;
    });
  };
  /** 400 invalid_grant for a bogus refresh token means the client did authenticate. */
  const tokenProbe = (params: Record<string, string>) =>
    t.post('/token', { grant_type: 'refresh_token', refresh_token: 'not-a-token', ...params });
  return {
    t,
    authenticate,
    refusal,
    tokenProbe,
    fetches: () => fetches,
    serve(value: unknown) {
      served = value;
    },
  };
}

async function json(response: Response, status: number): Promise<Body> {
  const body = (await response.json()) as Body;
  assert.equal(response.status, status, JSON.stringify(body));
  return body;
}

/** The token probe got past client authentication: only the (bogus) grant is refused. */
async function authenticatedAtToken(response: Response): Promise<void> {
  assert.equal((await json(response, 400)).error, 'invalid_grant');
}

describe('private_key_jwt: accepted assertions', () => {
  it('redeems a code and refreshes with ES256 assertions from inline jwks (client_id optional)', async () => {
    const { t } = await setup();
    const callback = await t.authorize({ client_id: 'jwt-es' });
    const code = callback.searchParams.get('code')!;
    const redeemed = await json(
      await t.post(
        '/token',
        assertionParams(await assertion('jwt-es', t.now()), {
          grant_type: 'authorization_code',
          code,
          redirect_uri: APP_REDIRECT,
          code_verifier: VERIFIER,
        }),
      ),
      200,
    );
    assert.equal(typeof redeemed.access_token, 'string');
    const refreshed = await json(
      await t.post(
        '/token',
        assertionParams(await assertion('jwt-es', t.now()), {
          grant_type: 'refresh_token',
          refresh_token: redeemed.refresh_token as string,
          client_id: 'jwt-es',
        }),
      ),
      200,
    );
    assert.equal(typeof refreshed.access_token, 'string');
  });

  it('authenticates at revocation and introspection with RS256 (inline jwks, key_ops "sign" tolerated)', async () => {
    const { t } = await setup();
    const revoked = await t.post(
      '/revoke',
      assertionParams(await assertion('jwt-rs', t.now(), { alg: 'RS256' }), { token: 'x' }),
    );
    assert.equal(revoked.status, 200);
    const info = await json(
      await t.post(
        '/introspect',
        assertionParams(await assertion('jwt-rs', t.now(), { alg: 'RS256' }), { token: 'x' }),
      ),
      200,
    );
    assert.deepEqual(info, { active: false });
    const esInfo = await json(
      await t.post('/introspect', assertionParams(await assertion('jwt-es', t.now()), { token: 'x' })),
      200,
    );
    assert.deepEqual(esInfo, { active: false });
  });

  it('fetches jwks_uri once and serves later assertions from the cache', async () => {
    const { t, fetches, tokenProbe } = await setup();
    await authenticatedAtToken(
      await tokenProbe(assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }))),
    );
    const revoked = await t.post(
      '/revoke',
      assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }), { token: 'x' }),
    );
    assert.equal(revoked.status, 200);
    const info = await t.post(
      '/introspect',
      assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }), { token: 'x' }),
    );
    assert.equal(info.status, 200);
    assert.equal(fetches(), 1);
    t.advance(5 * 60_000 + 1);
    await authenticatedAtToken(
      await tokenProbe(assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }))),
    );
    assert.equal(fetches(), 2, 'a set older than the 5 min TTL is fetched again');
  });

  it('re-fetches once on an unknown kid (rotation), with a cooldown against fetch storms', async () => {
    const { t, authenticate, refusal, fetches, serve } = await setup();
    await authenticate(assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' })));
    assert.equal(fetches(), 1);
    // The client rotates: the new key is published, the cached set does not have it yet.
    serve({ keys: [rsRotated.jwk] });
    t.advance(31_000);
    const rotated = await authenticate(
      assertionParams(
        await assertion('jwt-uri', t.now(), { alg: 'RS256', kid: 'rs-2', key: rsRotated.privateKey }),
      ),
    );
    assert.equal(rotated.keyThumbprint, await calculateJwkThumbprint(rsRotated.jwk));
    assert.equal(fetches(), 2);
    // Made-up kids right after: refused without another fetch.
    for (const kid of ['nope-1', 'nope-2', 'nope-3']) {
      await refusal(
        'assertion_key_unknown',
        assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256', kid })),
      );
    }
    assert.equal(fetches(), 2);
  });

  it('returns the RFC 7638 thumbprint of the signing key', async () => {
    const { t, authenticate } = await setup();
    const result = await authenticate(assertionParams(await assertion('jwt-es', t.now())));
    assert.equal(result.method, 'private_key_jwt');
    assert.equal(result.client.clientId, 'jwt-es');
    assert.equal(result.keyThumbprint, await calculateJwkThumbprint(es.jwk));
  });

  it('accepts aud = issuer, the token or PAR endpoint (RFC 9126 §2), and an aud array naming the issuer', async () => {
    const { t, authenticate } = await setup();
    for (const aud of [ISSUER, `${ISSUER}/token`, `${ISSUER}/par`, [ISSUER, 'https://other.example.test']]) {
      await authenticate(assertionParams(await assertion('jwt-es', t.now(), { claims: { aud } })));
    }
  });

  it('in strict audience mode accepts only the issuer as a single string', async () => {
    const { t, authenticate, refusal, tokenProbe } = await setup({ strictAudience: true });
    await authenticate(assertionParams(await assertion('jwt-es', t.now())));
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: `${ISSUER}/token` } })),
    );
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: [ISSUER] } })),
    );
    await authenticatedAtToken(await tokenProbe(assertionParams(await assertion('jwt-es', t.now()))));
  });

  it('allows 30 s of clock skew on exp and iat, and accepts an assertion without iat', async () => {
    const { t, authenticate } = await setup();
    const seconds = Math.floor(t.now() / 1000);
    await authenticate(
      assertionParams(
        await assertion('jwt-es', t.now(), { claims: { exp: seconds - 20, iat: seconds - 80 } }),
      ),
    );
    await authenticate(
      assertionParams(await assertion('jwt-es', t.now(), { claims: { iat: seconds + 20 } })),
    );
    await authenticate(assertionParams(await assertion('jwt-es', t.now(), { omit: ['iat'] })));
    await authenticate(assertionParams(await assertion('jwt-es', t.now(), { kid: undefined })));
    await authenticate(
      assertionParams(await assertion('jwt-es', t.now(), { typ: 'client-authentication+jwt' })),
    );
  });
});

describe('private_key_jwt: refusals', () => {
  it('refuses a stored client whose metadata carries both jwks and jwks_uri (RFC 7591 §2)', async () => {
    // Registration, static clients and CIMD all refuse such metadata; a record written to the store
    // by other means is still not guessed at.
    const { t, tokenProbe } = await setup();
    const client = (await t.store.clients.get('jwt-es'))!;
    await t.store.clients.put({
      ...client,
      clientId: 'jwt-both',
      metadata: { ...client.metadata, client_id: 'jwt-both', jwks_uri: JWKS_URI },
    });
    const response = await tokenProbe(assertionParams(await assertion('jwt-both', t.now())));
    assert.equal((await json(response, 401)).error, 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'client_jwks_conflict');
  });

  it('answers 401 invalid_client without a WWW-Authenticate challenge (Basic was not used)', async () => {
    const { t, tokenProbe } = await setup();
    const response = await tokenProbe(
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: 'https://evil.example.test' } })),
    );
    const body = await json(response, 401);
    assert.equal(body.error, 'invalid_client');
    assert.match(String(body.error_description), /aud/);
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('refuses a wrong client_assertion_type, a missing assertion and a non-JWT', async () => {
    const { t, refusal } = await setup();
    const jwt = await assertion('jwt-es', t.now());
    await refusal('assertion_type', {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: jwt,
    });
    await refusal('assertion_type', { client_assertion: jwt });
    await refusal('assertion_malformed', { client_assertion_type: CLIENT_ASSERTION_TYPE });
    await refusal('assertion_malformed', assertionParams('not.a.jwt'));
  });

  it('refuses HS256 signed with the public key as secret, alg none, and an alg the client did not register', async () => {
    const { t, refusal } = await setup();
    const publicPem = new TextEncoder().encode(await exportSPKI(rs.publicKey));
    await refusal(
      'assertion_alg',
      assertionParams(await assertion('jwt-rs', t.now(), { alg: 'HS256', key: publicPem })),
    );
    const seconds = Math.floor(t.now() / 1000);
    const unsecured = new UnsecuredJWT({
      iss: 'jwt-es',
      sub: 'jwt-es',
      aud: ISSUER,
      exp: seconds + 60,
      jti: 'n',
    }).encode();
    await refusal('assertion_alg', assertionParams(unsecured));
    await refusal(
      'assertion_alg',
      assertionParams(await assertion('jwt-es-only', t.now(), { alg: 'RS256' })),
    );
  });

  it('refuses a wrong aud, iss or sub, and a client_id that differs from them', async () => {
    const { t, refusal } = await setup();
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: 'https://evil.example.test' } })),
    );
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: `${ISSUER}/revoke` } })),
    );
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { omit: ['aud'] })),
    );
    await refusal(
      'assertion_issuer',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { iss: 'someone-else' } })),
    );
    await refusal(
      'assertion_malformed',
      assertionParams(await assertion('jwt-es', t.now(), { omit: ['sub'] })),
    );
    await refusal(
      'assertion_client_id_mismatch',
      assertionParams(await assertion('jwt-es', t.now()), { client_id: 'jwt-rs' }),
    );
  });

  it('refuses expired, too long-lived, stale, future and not-yet-valid assertions, and a missing exp', async () => {
    const { t, refusal } = await setup();
    const seconds = Math.floor(t.now() / 1000);
    const with_ = async (claims: Record<string, unknown>, omit: string[] = []) =>
      assertionParams(await assertion('jwt-es', t.now(), { claims, omit }));
    await refusal('assertion_expired', await with_({ exp: seconds - 31, iat: seconds - 60 }));
    await refusal('assertion_lifetime', await with_({ exp: seconds + 3600 }));
    await refusal('assertion_malformed', await with_({}, ['exp']));
    await refusal('assertion_iat', await with_({ iat: seconds - 600 }));
    await refusal('assertion_iat', await with_({ iat: seconds + 120 }));
    await refusal('assertion_not_yet_valid', await with_({ nbf: seconds + 120 }));
  });

  it('refuses a replayed jti and a missing jti', async () => {
    const { t, authenticate, refusal } = await setup();
    const jwt = await assertion('jwt-es', t.now());
    await authenticate(assertionParams(jwt));
    await refusal('assertion_replayed', assertionParams(jwt));
    await refusal('assertion_jti', assertionParams(await assertion('jwt-es', t.now(), { omit: ['jti'] })));
  });

  it('refuses a signature by another key, an unknown kid and a foreign typ', async () => {
    const { t, refusal } = await setup();
    await refusal(
      'assertion_signature',
      assertionParams(await assertion('jwt-es', t.now(), { key: impostor.privateKey })),
    );
    await refusal(
      'assertion_signature',
      assertionParams(await assertion('jwt-es', t.now(), { key: impostor.privateKey, kid: undefined })),
    );
    await refusal(
      'assertion_key_unknown',
      assertionParams(await assertion('jwt-es', t.now(), { kid: 'other' })),
    );
    await refusal(
      'assertion_key_unknown',
      assertionParams(await assertion('jwt-es', t.now(), { alg: 'RS256', kid: 'rs-1' })),
    );
    await refusal('assertion_typ', assertionParams(await assertion('jwt-es', t.now(), { typ: 'at+jwt' })));
  });

  it('never lets a private_key_jwt client downgrade to none or a secret (CIMD-AUTH-2)', async () => {
    const { t, refusal, tokenProbe } = await setup();
    await refusal('auth_method_mismatch', { client_id: 'jwt-es' });
    await refusal('auth_method_mismatch', { client_id: 'jwt-es', client_secret: SECRET });
    await refusal('auth_method_mismatch', {}, basic('jwt-es', SECRET));
    // And the other way round: a secret client cannot switch to an assertion.
    await refusal('auth_method_mismatch', assertionParams(await assertion('basic-app', t.now())));
    const body = await json(await tokenProbe({ client_id: 'jwt-es' }), 401);
    assert.equal(body.error, 'invalid_client');
  });

  it('refuses two methods at once as invalid_request', async () => {
    const { t, tokenProbe } = await setup();
    const response = await t.post(
      '/token',
      assertionParams(await assertion('jwt-es', t.now()), {
        grant_type: 'refresh_token',
        refresh_token: 'x',
      }),
      basic('jwt-es', SECRET),
    );
    assert.equal((await json(response, 400)).error, 'invalid_request');
    const withSecret = await tokenProbe(
      assertionParams(await assertion('jwt-es', t.now()), { client_secret: SECRET }),
    );
    assert.equal((await json(withSecret, 400)).error, 'invalid_request');
  });

  it('refuses jwks_uri clients when no fetcher is configured, or when the fetch fails', async () => {
    const noFetcher = await setup({ fetcher: false });
    await noFetcher.refusal(
      'jwks_unavailable',
      assertionParams(await assertion('jwt-uri', noFetcher.t.now(), { alg: 'RS256' })),
    );
    await json(
      await noFetcher.tokenProbe(
        assertionParams(await assertion('jwt-uri', noFetcher.t.now(), { alg: 'RS256' })),
      ),
      401,
    );
    const failing = await setup();
    failing.serve(new Error('connect refused'));
    await failing.refusal(
      'jwks_unavailable',
      assertionParams(await assertion('jwt-uri', failing.t.now(), { alg: 'RS256' })),
    );
    failing.serve({ not: 'a jwks' });
    await failing.refusal(
      'jwks_unavailable',
      assertionParams(await assertion('jwt-uri', failing.t.now(), { alg: 'RS256' })),
    );
  });
});

describe('private_key_jwt: pre-registered clients', () => {
  const base = {
    client_id: 'svc',
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: ['refresh_token'],
    response_types: [],
  };
  const reasonOf = (metadata: Record<string, unknown>) => {
    try {
      prepareStaticClient(metadata, 0);
      return 'accepted';
    } catch (error) {
      return (error as OAuthError).reason;
    }
  };

  it('accepts jwks or an https jwks_uri, with an optional asymmetric signing alg, and keeps no secret', () => {
    const inline = prepareStaticClient({ ...base, jwks: { keys: [es.jwk] } }, 0);
    assert.equal(inline.generatedSecret, undefined);
    assert.equal(inline.record.secretDigest, undefined);
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, token_endpoint_auth_signing_alg: 'PS256' }),
      'accepted',
    );
  });

  it('refuses both or neither key source, private key material, http jwks_uri, secrets and symmetric algs', async () => {
    const privateJwk = await exportJWK(es.privateKey);
    assert.equal(reasonOf(base), 'jwks_required');
    assert.equal(reasonOf({ ...base, jwks: { keys: [es.jwk] }, jwks_uri: JWKS_URI }), 'jwks_required');
    assert.equal(reasonOf({ ...base, jwks: { keys: [privateJwk] } }), 'jwks_private_key');
    assert.equal(reasonOf({ ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'jwks_private_key');
    assert.equal(reasonOf({ ...base, jwks: { keys: [] } }), 'jwks_empty');
    assert.equal(
      reasonOf({ ...base, jwks_uri: 'http://client.example.test/jwks.json' }),
      'jwks_uri_not_https',
    );
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, client_secret: SECRET }),
      'secret_for_public_client',
    );
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, token_endpoint_auth_signing_alg: 'HS256' }),
      'metadata_schema',
    );
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, token_endpoint_auth_signing_alg: 'none' }),
      'metadata_schema',
    );
  });
});

describe('private_key_jwt: server metadata (RFC 8414, MCP-EXT-CC, AT-12)', () => {
  it('lists private_key_jwt and the asymmetric algorithms at every authenticated endpoint', async () => {
    const { t } = await setup();
    const metadata = (await (
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Body;
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      const methods = metadata[`${endpoint}_endpoint_auth_methods_supported`] as string[];
      assert.ok(methods.includes('private_key_jwt'), endpoint);
      const algs = metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`] as string[];
      assert.ok(algs.includes('ES256') && algs.includes('RS256'), endpoint);
      assert.ok(!algs.includes('none') && !algs.some((alg) => alg.startsWith('HS')), endpoint);
    }
    assert.ok(!(metadata.introspection_endpoint_auth_methods_supported as string[]).includes('none'));
  });
});
