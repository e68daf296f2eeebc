import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { s256 } from '@gatehouse-oauth/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { authorizeInBrowser } from '../../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../../test/support/user-agent.ts';
import { outcomeOf } from '../../src/http/request-outcome.ts';
import { contextOf } from './server-internals.ts';
import { type createTestServer, ISSUER, PASSWORD, VERIFIER } from './test-server.ts';

/**
 * What an AT Protocol client sends, in process (PAR with DPoP, the browser login and consent, the
 * code exchange, a refresh), for tests of the atproto profile beyond the atproto-*.test.ts files
 * (whose own fixtures are support/atproto-profile.ts).
 */
export type TestServer = Awaited<ReturnType<typeof createTestServer>>;
export type Body = Record<string, unknown>;

export const PAR = `${ISSUER}/par`;
export const TOKEN = `${ISSUER}/token`;
export const LOGIN = { username: 'alice', password: PASSWORD };

export interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

/** A DPoP proof for a POST to `htu`, with the server's current nonce. */
export async function proof(t: TestServer, key: DpopKey, htu: string): Promise<string> {
  const nonce = (await contextOf(t.server).dpop.nonces())!.current(t.now());
  return new SignJWT({ htm: 'POST', htu, iat: Math.floor(t.now() / 1000), jti: randomUUID(), nonce })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey);
}

/** A form POST with a DPoP proof of `key`: the answer, its body and the refusal's stable reason. */
export async function postWithProof(
  t: TestServer,
  key: DpopKey,
  url: string,
  params: Record<string, string>,
) {
  const request = new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(t, key, url) },
    body: new URLSearchParams(params).toString(),
  });
  const response = await t.server.fetch(request);
  const body = (await response.json()) as Body;
  return { status: response.status, body, reason: outcomeOf(request)?.reason };
}

/** Authorization request parameters of `clientId` (fresh state and PKCE verifier each time). */
export function requestParams(clientId: string, redirectUri: string, scope: string, verifier: string) {
  return {
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    state: `state-${randomUUID()}`,
    scope,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
  };
}

export interface Client {
  clientId: string;
  redirectUri: string;
}

/** PAR only: the answer to pushing a request for `scope`. */
export function push(t: TestServer, key: DpopKey, client: Client, scope: string) {
  return postWithProof(t, key, PAR, requestParams(client.clientId, client.redirectUri, scope, VERIFIER));
}

/**
 * PAR, then the browser: login, the consent page (handed to `onConsent`), allow, the callback.
 * Then the code exchange. The token response.
 */
export async function signIn(
  t: TestServer,
  key: DpopKey,
  client: Client,
  scope: string,
  onConsent?: (html: string) => void,
): Promise<Body & { access_token: string; refresh_token: string; scope: string }> {
  const verifier = `${VERIFIER}-${randomUUID()}`;
  const pushed = await postWithProof(
    t,
    key,
    PAR,
    requestParams(client.clientId, client.redirectUri, scope, verifier),
  );
  assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
  const authorize = new URL(`${ISSUER}/authorize`);
  authorize.searchParams.set('client_id', client.clientId);
  authorize.searchParams.set('request_uri', String(pushed.body.request_uri));
  const userAgent = new UserAgent(async (url, init) => {
    const response = await t.server.fetch(new Request(url, init));
    if (onConsent !== undefined && response.headers.get('content-type')?.includes('text/html')) {
      const html = await response.clone().text();
      if (html.includes('name="decision"')) onConsent(html);
    }
    return response;
  });
  const callback = await authorizeInBrowser(userAgent, authorize.href, ISSUER, LOGIN);
  const code = callback.searchParams.get('code');
  assert.ok(code, callback.href);
  const tokens = await postWithProof(t, key, TOKEN, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
    client_id: client.clientId,
  });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body as Body & { access_token: string; refresh_token: string; scope: string };
}

/** A refresh with a proof of the client's DPoP key. */
export function refresh(t: TestServer, key: DpopKey, client: Client, refreshToken: string) {
  return postWithProof(t, key, TOKEN, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: client.clientId,
  });
}
