/**
 * What the private_key_jwt tests (private-key-jwt-*.test.ts, RFC 7523) share: the clients' key
 * pairs (ES256, RS256, a rotated one, an impostor with a known kid), assertions that can be bent every
 * way a check refuses, and a server with inline-jwks, jwks_uri and static clients.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OAuthError } from '@gatehouse-oauth/core';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { authenticateClient } from '../../src/clients/client-authentication.ts';
import { createClientJwksCache } from '../../src/clients/client-jwks.ts';
import { storedClientResolver } from '../../src/clients/client-resolver.ts';
import { CLIENT_ASSERTION_TYPE } from '../../src/clients/private-key-jwt.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './test-server.ts';

export type Body = Record<string, unknown>;
export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export const JWKS_URI = 'https://client.example.test/jwks.json';

export async function keyPair(alg: 'ES256' | 'RS256', kid: string, extra: Partial<JWK> = {}) {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, ...extra };
  return { ...pair, jwk, alg };
}

export const es = await keyPair('ES256', 'es-1', { use: 'sig' });
// AT Protocol clients publish public keys with key_ops ["sign"]; WebCrypto refuses to import those
// for verification, so the server must not pass key_ops through.
export const rs = await keyPair('RS256', 'rs-1', { key_ops: ['sign'] });
export const rsRotated = await keyPair('RS256', 'rs-2');
export const impostor = await keyPair('ES256', 'es-1');

export interface AssertionOptions {
  key?: KeyPair['privateKey'] | Uint8Array;
  alg?: string;
  kid?: string | undefined;
  typ?: string;
  claims?: Record<string, unknown>;
  omit?: readonly string[];
}

/** A fresh, valid assertion for `clientId` at `now`, with whatever the test changes. */
export async function assertion(
  clientId: string,
  now: number,
  options: AssertionOptions = {},
): Promise<string> {
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

export function assertionParams(jwt: string, extra: Record<string, string> = {}): Record<string, string> {
  return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt, ...extra };
}

export async function setup(options: { fetcher?: boolean; strictAudience?: boolean } = {}) {
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

export async function json(response: Response, status: number): Promise<Body> {
  const body = (await response.json()) as Body;
  assert.equal(response.status, status, JSON.stringify(body));
  return body;
}

/** The token probe got past client authentication: only the (bogus) grant is refused. */
export async function authenticatedAtToken(response: Response): Promise<void> {
  assert.equal((await json(response, 400)).error, 'invalid_grant');
}
