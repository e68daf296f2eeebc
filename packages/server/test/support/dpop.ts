/**
 * What the DPoP tests (dpop-*.test.ts, RFC 9449, docs/dpop.md) share: DPoP keys, proofs that can be
 * bent every way a check refuses, the current server nonce, form POSTs answering the stable reason,
 * codes, PAR and DPoP-bound tokens for the public test client.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { outcomeOf } from '../../src/http/request-outcome.ts';
import { contextOf } from './server-internals.ts';
import { APP_REDIRECT, type createTestServer, ISSUER, PASSWORD, VERIFIER } from './test-server.ts';

export type TestServer = Awaited<ReturnType<typeof createTestServer>>;
export type Body = Record<string, unknown>;

export const TOKEN = `${ISSUER}/token`;
export const PAR = `${ISSUER}/par`;
export const login = { username: 'alice', password: PASSWORD };

export interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
  alg: string;
}

export async function dpopKey(alg: 'ES256' | 'ES384' | 'RS256' = 'ES256'): Promise<DpopKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256'), alg };
}

export interface ProofOptions {
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

export const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function currentNonce(t: TestServer): Promise<string> {
  return (await contextOf(t.server).dpop.nonces())!.current(t.now());
}

export async function proof(t: TestServer, key: DpopKey, options: ProofOptions = {}): Promise<string> {
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
export async function post(
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

export function codeParams(code: string, clientId = 'public-app'): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP_REDIRECT,
    code_verifier: VERIFIER,
    ...(clientId === '' ? {} : { client_id: clientId }),
  };
}

export const refreshParams = (refreshToken: string) => ({
  grant_type: 'refresh_token',
  refresh_token: refreshToken,
  client_id: 'public-app',
});

export async function code(t: TestServer, params: Record<string, string | undefined> = {}): Promise<string> {
  return (await t.authorize(params)).searchParams.get('code')!;
}

/** Tokens for public-app, redeemed with a DPoP proof of `key`: the refresh token is bound to it. */
export async function boundTokens(t: TestServer, key: DpopKey) {
  const answer = await post(t, TOKEN, codeParams(await code(t)), { dpop: await proof(t, key) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { access_token: string; refresh_token: string; token_type: string };
}

export async function push(
  t: TestServer,
  params: Record<string, string | undefined>,
  headers: HeadersInit = {},
) {
  return post(t, PAR, t.authorizationParams(params), headers);
}

export function authorizeUrl(requestUri: string, clientId = 'public-app'): string {
  const url = new URL(`${ISSUER}/authorize`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  return url.href;
}

export function assertRefused(
  answer: { status: number; body: Body; reason: string | undefined },
  error: string,
  reason: string,
) {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.error, error, JSON.stringify(answer.body));
  assert.equal(answer.reason, reason);
}
