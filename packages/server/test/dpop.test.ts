/**
 * DPoP (RFC 9449) at the authorization server, docs/dpop.md: every proof check at the token
 * endpoint and PAR (§4.3), server nonces (§8, AT-11: stateless, shared by every server on a store,
 * stale ones answered with a fresh one), the order (the nonce before client authentication, so a
 * retry leaves a private_key_jwt assertion unused, issue #5), key binding of the code (§10
 * `dpop_jkt`, PAR), of the access token (`cnf.jkt`, `token_type: DPoP`, §5, §6) and of a public
 * client's refresh tokens (§5), introspection (§6.2) and the metadata (§5.1).
 * Every refused request is shown to leave the grant it presented usable.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { checkDpop } from '../src/dpop/request-dpop.ts';
import { outcomeOf } from '../src/http/request-outcome.ts';
import { type AuthorizationServerOptions, createAuthorizationServer } from '../src/index.ts';
import { contextOf } from './support/server-internals.ts';
import {
  APP_REDIRECT,
  basic,
  createTestServer,
  ISSUER,
  PASSWORD,
  RESOURCE,
  RESOURCE_SERVER,
  SECRET,
  VERIFIER,
} from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;
type Body = Record<string, unknown>;

const TOKEN = `${ISSUER}/token`;
const PAR = `${ISSUER}/par`;
const login = { username: 'alice', password: PASSWORD };

interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
  alg: string;
}

async function dpopKey(alg: 'ES256' | 'ES384' | 'RS256' = 'ES256'): Promise<DpopKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256'), alg };
}

interface ProofOptions {
  htm?: string;
  htu?: string;
  /** Seconds; default the server's now. */
  iat?: number;
  /** null leaves jti out. */
  jti?: string | null;
  /** undefined: the server's current nonce; null: no nonce. */
  nonce?: string | null;
  typ?: string;
  alg?: string;
  /** The header jwk; default the key's public JWK. */
  jwk?: JWK;
  /** Sign with this instead of the key's private key. */
  signWith?: CryptoKey | Uint8Array;
  claims?: Record<string, unknown>;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function currentNonce(t: TestServer): Promise<string> {
  return (await contextOf(t.server).dpop.nonces())!.current(t.now());
}

async function proof(t: TestServer, key: DpopKey, options: ProofOptions = {}): Promise<string> {
  const nonce = options.nonce === undefined ? await currentNonce(t) : options.nonce;
  const claims: Record<string, unknown> = {
    htm: options.htm ?? 'POST',
    htu: options.htu ?? TOKEN,
    iat: options.iat ?? Math.floor(t.now() / 1000),
    ...(options.jti === null ? {} : { jti: options.jti ?? randomUUID() }),
    ...(nonce === null ? {} : { nonce }),
    ...options.claims,
  };
  const header = { typ: options.typ ?? 'dpop+jwt', alg: options.alg ?? key.alg, jwk: options.jwk ?? key.jwk };
  if (header.alg === 'none') return `${base64url(header)}.${base64url(claims)}.c2ln`;
  return new SignJWT(claims).setProtectedHeader(header).sign(options.signWith ?? key.privateKey);
}

/** A form POST through server.fetch; also answers the stable reason the endpoint noted. */
async function post(
  t: { server: { fetch(request: Request): Promise<Response> } },
  url: string,
  params: Record<string, string>,
  headers: HeadersInit = {},
) {
  const request = new Request(url, {
    method: 'POST',
    headers: new Headers([['content-type', 'application/x-www-form-urlencoded'], ...new Headers(headers)]),
    body: new URLSearchParams(params).toString(),
  });
  const response = await t.server.fetch(request);
  const body = (await response.json()) as Body;
  return { response, status: response.status, body, reason: outcomeOf(request)?.reason };
}

function codeParams(code: string, clientId = 'public-app'): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP_REDIRECT,
    code_verifier: VERIFIER,
    ...(clientId === '' ? {} : { client_id: clientId }),
  };
}

const refreshParams = (refreshToken: string) => ({
  grant_type: 'refresh_token',
  refresh_token: refreshToken,
  client_id: 'public-app',
});

async function code(t: TestServer, params: Record<string, string | undefined> = {}): Promise<string> {
  return (await t.authorize(params)).searchParams.get('code')!;
}

/** Tokens for public-app, redeemed with a DPoP proof of `key`: the refresh token is bound to it. */
async function boundTokens(t: TestServer, key: DpopKey) {
  const answer = await post(t, TOKEN, codeParams(await code(t)), { dpop: await proof(t, key) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { access_token: string; refresh_token: string; token_type: string };
}

async function push(t: TestServer, params: Record<string, string | undefined>, headers: HeadersInit = {}) {
  return post(t, PAR, t.authorizationParams(params), headers);
}

function authorizeUrl(requestUri: string, clientId = 'public-app'): string {
  const url = new URL(`${ISSUER}/authorize`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  return url.href;
}

function assertRefused(
  answer: { status: number; body: Body; reason: string | undefined },
  error: string,
  reason: string,
) {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.error, error, JSON.stringify(answer.body));
  assert.equal(answer.reason, reason);
}

describe('DPoP proof checks at the token endpoint (RFC 9449 §4.3)', async () => {
  const t = await createTestServer();
  const key = await dpopKey();
  const other = await dpopKey();
  const tokens = await boundTokens(t, key);
  const refresh = (dpop: string | string[] | undefined) =>
    post(
      t,
      TOKEN,
      refreshParams(tokens.refresh_token),
      dpop === undefined ? {} : Array.isArray(dpop) ? dpop.map((value) => ['dpop', value]) : { dpop },
    );

  const hmacKey = new TextEncoder().encode('a-shared-secret-anyone-could-use-0123456789');
  const cases: [string, () => Promise<string | string[]>, string][] = [
    ['typ other than dpop+jwt (step 4)', () => proof(t, key, { typ: 'jwt' }), 'dpop_typ'],
    ['alg none (step 5)', () => proof(t, key, { alg: 'none' }), 'dpop_alg'],
    [
      'alg HS256, a MAC keyed by anyone (step 5)',
      () => proof(t, key, { alg: 'HS256', signWith: hmacKey }),
      'dpop_alg',
    ],
    [
      'a private key in the header jwk (step 7)',
      async () => proof(t, key, { jwk: { ...key.jwk, d: 'AAAA' } }),
      'dpop_jwk_private',
    ],
    [
      'a signature by another key than the header jwk (step 6)',
      () => proof(t, key, { signWith: other.privateKey }),
      'dpop_signature',
    ],
    ['htm of another method (step 8)', () => proof(t, key, { htm: 'GET' }), 'dpop_htm'],
    ['htu of another endpoint (step 9)', () => proof(t, key, { htu: PAR }), 'dpop_htu'],
    [
      'htu of another host (step 9)',
      () => proof(t, key, { htu: 'https://evil.example.test/token' }),
      'dpop_htu',
    ],
    [
      'iat in the future beyond the skew (step 11)',
      () => proof(t, key, { iat: Math.floor(t.now() / 1000) + 120 }),
      'dpop_iat_future',
    ],
    [
      'iat too old (step 11)',
      () => proof(t, key, { iat: Math.floor(t.now() / 1000) - 400 }),
      'dpop_iat_expired',
    ],
    ['no jti (step 3)', () => proof(t, key, { jti: null }), 'dpop_jti_missing'],
    ['a malformed proof (step 2)', async () => 'not-a-jwt', 'dpop_malformed'],
    ['two DPoP headers (step 1)', async () => [await proof(t, key), await proof(t, key)], 'dpop_multiple'],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name}: 400 invalid_dpop_proof (${reason}), refresh token untouched`, async () => {
      assertRefused(await refresh(await make()), 'invalid_dpop_proof', reason);
    });
  }

  it('refuses a replayed proof (same jti): 400 invalid_dpop_proof dpop_replay (§11.1)', async () => {
    // Two different requests carrying one proof: the first passes the proof checks (and then
    // fails as an unknown refresh token), the second is refused as a replay before anything else.
    const once = await proof(t, key);
    const first = await post(t, TOKEN, refreshParams('no-such-refresh-token'), { dpop: once });
    assertRefused(first, 'invalid_grant', 'refresh_token_unknown');
    assertRefused(await refresh(once), 'invalid_dpop_proof', 'dpop_replay');
    // The same jti under another key is another proof (the replay key is jkt + jti).
    const jti = randomUUID();
    await post(t, TOKEN, refreshParams('no-such-refresh-token'), { dpop: await proof(t, other, { jti }) });
    assertRefused(
      await post(t, TOKEN, refreshParams('no-such-refresh-token'), { dpop: await proof(t, key, { jti }) }),
      'invalid_grant',
      'refresh_token_unknown',
    );
  });

  it('ignores ath at the token endpoint, where no access token is presented (decision 0011)', async () => {
    const answer = await post(t, TOKEN, refreshParams('no-such-refresh-token'), {
      dpop: await proof(t, key, { claims: { ath: 'not-the-hash-of-anything' } }),
    });
    assertRefused(answer, 'invalid_grant', 'refresh_token_unknown');
  });

  it('checks ath when an access token accompanies the proof (resource access, §4.3 step 12)', async () => {
    const at = async (dpop: string, accessToken: string) => {
      const request = new Request(RESOURCE, { headers: { dpop } });
      const target = { htm: 'GET', htu: RESOURCE, accessToken };
      return checkDpop(request, target, contextOf(t.server), t.now()).then(
        (verified) => verified?.jkt,
        (error: { reason: string }) => error.reason,
      );
    };
    const token = tokens.access_token;
    const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString(
      'base64url',
    );
    const get = { htm: 'GET', htu: RESOURCE };
    assert.equal(await at(await proof(t, key, get), token), 'dpop_ath_missing');
    assert.equal(
      await at(await proof(t, key, { ...get, claims: { ath: 'x'.repeat(43) } }), token),
      'dpop_ath',
    );
    assert.equal(await at(await proof(t, key, { ...get, claims: { ath } }), token), key.jkt);
  });

  it('refuses an algorithm the server was not configured for (dpop.algorithms)', async () => {
    const narrow = await createTestServer({ dpop: { algorithms: ['ES256'] } });
    const rsa = await dpopKey('RS256');
    const answer = await post(narrow, TOKEN, refreshParams('x'), { dpop: await proof(narrow, rsa) });
    assertRefused(answer, 'invalid_dpop_proof', 'dpop_alg');
    const metadata = (await (
      await narrow.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Body;
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, ['ES256']);
  });

  it('after every refusal above, the refresh token still works with a good proof', async () => {
    const answer = await refresh(await proof(t, key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.token_type, 'DPoP');
  });
});

describe('DPoP nonces (RFC 9449 §8, AT-11)', async () => {
  const t = await createTestServer();
  const key = await dpopKey();

  it('asks for a nonce: 400 use_dpop_nonce with a DPoP-Nonce header; the retry with it succeeds', async () => {
    const tokens = await boundTokens(t, key);
    const first = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: null }),
    });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const nonce = first.response.headers.get('dpop-nonce');
    assert.match(nonce ?? '', /^[A-Za-z0-9_-]{32}$/);
    assert.equal(first.response.headers.get('cache-control'), 'no-store');
    const retry = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: nonce! }),
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    // §8.2: a successful response carries the nonce to use next.
    assert.match(retry.response.headers.get('dpop-nonce') ?? '', /^[A-Za-z0-9_-]{32}$/);
  });

  it('refuses a nonce this server did not make: use_dpop_nonce (nonce_invalid) with a fresh one', async () => {
    const answer = await post(t, TOKEN, refreshParams('x'), {
      dpop: await proof(t, key, { nonce: 'A'.repeat(32) }),
    });
    assertRefused(answer, 'use_dpop_nonce', 'nonce_invalid');
    assert.equal(answer.response.headers.get('dpop-nonce'), await currentNonce(t));
  });

  it('accepts a nonce for a few minutes, then answers nonce_stale with a fresh one', async () => {
    const tokens = await boundTokens(t, key);
    const old = await currentNonce(t);
    t.advance(120_000);
    // Two windows later it is still good (recently stale ones SHOULD be accepted, AT-11).
    const fine = await post(t, TOKEN, refreshParams('x'), { dpop: await proof(t, key, { nonce: old }) });
    assertRefused(fine, 'invalid_grant', 'refresh_token_unknown');
    t.advance(120_000);
    const stale = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: old }),
    });
    assertRefused(stale, 'use_dpop_nonce', 'nonce_stale');
    const fresh = stale.response.headers.get('dpop-nonce');
    assert.ok(fresh !== null && fresh !== old);
    const retry = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: fresh }),
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
  });

  it('a proof refused for its nonce is not spent: the same jti passes with a nonce', async () => {
    const jti = randomUUID();
    const first = await post(t, TOKEN, refreshParams('x'), {
      dpop: await proof(t, key, { jti, nonce: null }),
    });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const second = await post(t, TOKEN, refreshParams('x'), { dpop: await proof(t, key, { jti }) });
    assertRefused(second, 'invalid_grant', 'refresh_token_unknown');
  });

  it('accepts a nonce minted by another server on the same store, refuses one from another store', async () => {
    const options = (store = t.store): AuthorizationServerOptions => ({
      issuer: ISSUER,
      store,
      clock: () => t.now(),
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'] }],
    });
    const sibling = createAuthorizationServer(options());
    const minted = await post({ server: sibling }, TOKEN, refreshParams('x'), {
      dpop: await proof(t, key, { nonce: null }),
    });
    assertRefused(minted, 'use_dpop_nonce', 'nonce_required');
    const nonce = minted.response.headers.get('dpop-nonce')!;
    const here = await post(t, TOKEN, refreshParams('x'), { dpop: await proof(t, key, { nonce }) });
    assertRefused(here, 'invalid_grant', 'refresh_token_unknown');

    const stranger = await createTestServer();
    const elsewhere = await post(stranger, TOKEN, refreshParams('x'), {
      dpop: await proof(stranger, key, { nonce }),
    });
    assertRefused(elsewhere, 'use_dpop_nonce', 'nonce_invalid');
  });

  it('with dpop.nonce off, asks for no nonce and sends none', async () => {
    const relaxed = await createTestServer({ dpop: { nonce: 'off' } });
    const answer = await post(relaxed, TOKEN, codeParams(await code(relaxed)), {
      dpop: await proof(relaxed, key, { nonce: null }),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.token_type, 'DPoP');
    assert.equal(answer.response.headers.get('dpop-nonce'), null);
  });

  it('refuses a nonce window over 5 minutes at start-up (AT-11)', async () => {
    await assert.rejects(
      createTestServer({ dpop: { windowSeconds: 301 } }),
      /dpop\.windowSeconds: must be at most 300/,
    );
    await assert.rejects(createTestServer({ dpop: { algorithms: ['HS256'] } }), /HS256/);
  });
});

describe('DPoP and client authentication: the nonce first (issue #5)', async () => {
  const t = await createTestServer();
  const key = await dpopKey();
  const clientKey = await generateKeyPair('ES256', { extractable: true });
  await t.addClient({
    client_id: 'jwt-app',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(clientKey.publicKey)), kid: 'k1' }] },
    redirect_uris: [APP_REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
  });
  const assertion = () => {
    const now = Math.floor(t.now() / 1000);
    return new SignJWT({ iss: 'jwt-app', sub: 'jwt-app', aud: ISSUER, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(clientKey.privateKey);
  };
  const authenticated = async () => ({
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await assertion(),
  });

  it('PAR: a use_dpop_nonce retry reuses the same client assertion successfully', async () => {
    const params = { ...(await authenticated()), client_id: 'jwt-app' };
    const first = await push(t, params, { dpop: await proof(t, key, { htu: PAR, nonce: null }) });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const nonce = first.response.headers.get('dpop-nonce')!;
    const retry = await push(t, params, { dpop: await proof(t, key, { htu: PAR, nonce }) });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.match(retry.response.headers.get('dpop-nonce') ?? '', /^[A-Za-z0-9_-]{32}$/);
    // The assertion was spent by the successful request, not by the nonce round trip.
    const again = await push(t, params, { dpop: await proof(t, key, { htu: PAR }) });
    assert.equal(again.status, 401);
    assert.equal(again.reason, 'assertion_replayed');
  });

  it('token: a use_dpop_nonce retry reuses the same client assertion, and the code is not burnt', async () => {
    const codeValue = await code(t, { client_id: 'jwt-app' });
    const params = { ...codeParams(codeValue, ''), ...(await authenticated()) };
    const first = await post(t, TOKEN, params, { dpop: await proof(t, key, { nonce: null }) });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const retry = await post(t, TOKEN, params, {
      dpop: await proof(t, key, { nonce: first.response.headers.get('dpop-nonce')! }),
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.token_type, 'DPoP');
  });
});

describe('DPoP key binding (RFC 9449 §5, §6, §10)', async () => {
  const t = await createTestServer();
  await t.addResourceServer();
  const key = await dpopKey();
  const other = await dpopKey();

  it('binds the access token: token_type DPoP and cnf.jkt; introspection says so (§6.1, §6.2)', async () => {
    const tokens = await boundTokens(t, key);
    assert.equal(tokens.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: key.jkt });
    const introspection = await post(
      t,
      `${ISSUER}/introspect`,
      { token: tokens.access_token },
      basic(RESOURCE_SERVER, SECRET),
    );
    assert.equal(introspection.body.active, true);
    assert.equal(introspection.body.token_type, 'DPoP');
    assert.deepEqual(introspection.body.cnf, { jkt: key.jkt });
  });

  it('issues Bearer tokens without cnf to a request without DPoP', async () => {
    const answer = await post(t, TOKEN, codeParams(await code(t)));
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(decodeJwt(answer.body.access_token as string).cnf, undefined);
    const introspection = await post(
      t,
      `${ISSUER}/introspect`,
      { token: answer.body.access_token as string },
      basic(RESOURCE_SERVER, SECRET),
    );
    assert.equal(introspection.body.token_type, 'Bearer');
    assert.equal(introspection.body.cnf, undefined);
  });

  it("binds a public client's refresh token to the key: no proof or another key is invalid_grant", async () => {
    const tokens = await boundTokens(t, key);
    assertRefused(
      await post(t, TOKEN, refreshParams(tokens.refresh_token)),
      'invalid_grant',
      'dpop_proof_required',
    );
    assertRefused(
      await post(t, TOKEN, refreshParams(tokens.refresh_token), { dpop: await proof(t, other) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
    // Neither refusal rotated the token: the rightful key still refreshes, and stays bound.
    const refreshed = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key),
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.deepEqual(decodeJwt(refreshed.body.access_token as string).cnf, { jkt: key.jkt });
    assertRefused(
      await post(t, TOKEN, refreshParams(refreshed.body.refresh_token as string), {
        dpop: await proof(t, other),
      }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
  });

  it('lets a confidential client rebind at refresh: its refresh token is bound to its credentials', async () => {
    const callback = await t.authorize({ client_id: 'basic-app' });
    const first = await post(t, TOKEN, codeParams(callback.searchParams.get('code')!, ''), {
      ...basic('basic-app', SECRET),
      dpop: await proof(t, key),
    });
    assert.equal(first.body.token_type, 'DPoP');
    const moved = await post(
      t,
      TOKEN,
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string },
      { ...basic('basic-app', SECRET), dpop: await proof(t, other) },
    );
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(decodeJwt(moved.body.access_token as string).cnf, { jkt: other.jkt });
  });

  it('PAR with a proof binds the code to its key (§10.1): another key or none is invalid_grant', async () => {
    const pushAndAuthorize = async () => {
      const pushed = await push(t, {}, { dpop: await proof(t, key, { htu: PAR }) });
      assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
      const callback = await authorizeInBrowser(
        t.userAgent(),
        authorizeUrl(pushed.body.request_uri as string),
        ISSUER,
        login,
      );
      return { code: callback.searchParams.get('code')!, requestUri: pushed.body.request_uri as string };
    };
    const wrongKey = await pushAndAuthorize();
    assertRefused(
      await post(t, TOKEN, codeParams(wrongKey.code), { dpop: await proof(t, other) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
    const noProof = await pushAndAuthorize();
    assertRefused(await post(t, TOKEN, codeParams(noProof.code)), 'invalid_grant', 'dpop_proof_required');
    const right = await pushAndAuthorize();
    const tokens = await post(t, TOKEN, codeParams(right.code), { dpop: await proof(t, key) });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.deepEqual(decodeJwt(tokens.body.access_token as string).cnf, { jkt: key.jkt });
    // A used request_uri stays used (RFC 9126 §4), DPoP or not.
    const replayed = await t.send(authorizeUrl(right.requestUri));
    assert.equal(replayed.status, 400);
    assert.match(await replayed.text(), /unknown, expired or was already used/);
  });

  it('PAR with dpop_jkt and a proof of another key is refused, and nothing is pushed', async () => {
    const answer = await push(t, { dpop_jkt: other.jkt }, { dpop: await proof(t, key, { htu: PAR }) });
    assertRefused(answer, 'invalid_dpop_proof', 'dpop_jkt_mismatch');
    assert.equal(answer.body.request_uri, undefined);
  });

  it('PAR with dpop_jkt alone binds the code to that key', async () => {
    const pushed = await push(t, { dpop_jkt: other.jkt });
    assert.equal(pushed.status, 201);
    const callback = await authorizeInBrowser(
      t.userAgent(),
      authorizeUrl(pushed.body.request_uri as string),
      ISSUER,
      login,
    );
    const codeValue = callback.searchParams.get('code')!;
    assertRefused(
      await post(t, TOKEN, codeParams(codeValue), { dpop: await proof(t, key) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
  });

  it('/authorize accepts dpop_jkt (§10): the code is redeemed only with that key', async () => {
    const bound = await code(t, { dpop_jkt: key.jkt });
    const answer = await post(t, TOKEN, codeParams(bound), { dpop: await proof(t, key) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const mismatched = await code(t, { dpop_jkt: key.jkt });
    assertRefused(
      await post(t, TOKEN, codeParams(mismatched), { dpop: await proof(t, other) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
  });

  it('/authorize refuses a malformed dpop_jkt with a redirect to the client', async () => {
    const response = await t.send(t.authorizationUrl({ dpop_jkt: 'not a thumbprint' }));
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, APP_REDIRECT);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
  });

  it('refuses a proof-less token request from a dpop_bound_access_tokens client (§5.2), leaving the code usable', async () => {
    await t.addClient({
      client_id: 'dpop-only',
      redirect_uris: [APP_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      dpop_bound_access_tokens: true,
    });
    const codeValue = await code(t, { client_id: 'dpop-only' });
    const refused = await post(t, TOKEN, codeParams(codeValue, 'dpop-only'));
    assertRefused(refused, 'invalid_dpop_proof', 'dpop_required');
    assert.match(refused.response.headers.get('dpop-nonce') ?? '', /^[A-Za-z0-9_-]{32}$/);
    const answer = await post(t, TOKEN, codeParams(codeValue, 'dpop-only'), { dpop: await proof(t, key) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it('with dpop.required, refuses every token request without a proof', async () => {
    const strict = await createTestServer({ dpop: { required: true } });
    const codeValue = await code(strict);
    assertRefused(await post(strict, TOKEN, codeParams(codeValue)), 'invalid_dpop_proof', 'dpop_required');
    const answer = await post(strict, TOKEN, codeParams(codeValue), { dpop: await proof(strict, key) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it('publishes dpop_signing_alg_values_supported with ES256 (RFC 9449 §5.1, AT-12)', async () => {
    const metadata = (await (
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Body;
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, [
      'ES256',
      'ES384',
      'EdDSA',
      'RS256',
      'PS256',
    ]);
  });

  it('PKCE still applies to a DPoP-bound code', async () => {
    const bound = await code(t, { code_challenge: s256(`${VERIFIER}-other`) });
    assertRefused(
      await post(t, TOKEN, codeParams(bound), { dpop: await proof(t, key) }),
      'invalid_grant',
      'pkce_mismatch',
    );
  });
});
