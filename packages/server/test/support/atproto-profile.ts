/**
 * The atproto profile's test fixtures (docs/atproto.md, decision 0016), shared by the
 * atproto-*.test.ts files: an atproto server with its stub client documents, DPoP keys and proofs,
 * PAR, the browser login and consent, code redemption and refresh, and the private_key_jwt client
 * of AT-9 with its assertions.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { JoseKey } from '@atproto/jwk-jose';
import { s256 } from '@gatehouse-oauth/core';
import { type JWK, SignJWT } from 'jose';
import { authorizeInBrowser } from '../../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../../test/support/user-agent.ts';
import { CLIENT_ASSERTION_TYPE } from '../../src/clients/private-key-jwt.ts';
import { outcomeOf } from '../../src/http/request-outcome.ts';
import type { AuthorizationServerOptions } from '../../src/index.ts';
import type { DpopKey } from './atproto-requests.ts';
import { contextOf } from './server-internals.ts';
import { stubDocuments } from './stub-documents.ts';
import { createTestServer, ISSUER, PASSWORD, VERIFIER } from './test-server.ts';

export type TestServer = Awaited<ReturnType<typeof createTestServer>>;
export type Body = Record<string, unknown>;

export const PDS = 'https://pds.example.test';
export const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
export const CLIENT_ID = 'https://app.example.test/oauth-client-metadata.json';
export const CONFIDENTIAL_ID = 'https://web.example.test/oauth-client-metadata.json';
export const REDIRECT = 'https://app.example.test/callback';
export const WEB_REDIRECT = 'https://web.example.test/callback';
export const PAR = `${ISSUER}/par`;
export const TOKEN = `${ISSUER}/token`;
export const login = { username: 'alice', password: PASSWORD };

export function publicDocument(extra: Body = {}): Body {
  return {
    client_id: CLIENT_ID,
    client_name: 'Example atproto app',
    client_uri: 'https://app.example.test',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'atproto transition:generic',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    dpop_bound_access_tokens: true,
    ...extra,
  };
}

export async function atprotoServer(overrides: Partial<AuthorizationServerOptions> = {}) {
  const documents = stubDocuments();
  documents.publish(CLIENT_ID, publicDocument());
  const t = await createTestServer({
    profile: 'atproto',
    outboundFetch: documents.fetch,
    resources: [{ uri: PDS, scopes: ['transition:generic'], name: 'Example PDS' }],
    // An AT Protocol service maps its accounts to DIDs (AT-10: the token response sub is a DID).
    subject: ({ username }) => (username === 'alice' ? DID : `did:plc:${username}`),
    ...overrides,
  });
  return { t, documents };
}

// The DPoP key of an atproto client: the same as the permission tests' (support/atproto-requests.ts).
export { type DpopKey, dpopKey } from './atproto-requests.ts';

export async function proof(
  t: TestServer,
  key: DpopKey,
  htu: string,
  nonce?: string | null,
): Promise<string> {
  const value = nonce === undefined ? (await contextOf(t.server).dpop.nonces())!.current(t.now()) : nonce;
  return new SignJWT({
    htm: 'POST',
    htu,
    iat: Math.floor(t.now() / 1000),
    jti: randomUUID(),
    ...(value === null ? {} : { nonce: value }),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey);
}

export async function post(
  t: TestServer,
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const request = new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: 'https://app.example.test',
      ...headers,
    },
    body: new URLSearchParams(params).toString(),
  });
  const response = await t.server.fetch(request);
  const body = (await response.json()) as Body;
  const outcome = outcomeOf(request);
  return { response, status: response.status, body, reason: outcome?.reason, clientId: outcome?.clientId };
}

export function requestParams(
  extra: Record<string, string | undefined> = {},
  verifier = VERIFIER,
): Record<string, string> {
  const all: Record<string, string | undefined> = {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    response_type: 'code',
    // A fresh state every request: a client's state is accepted once (AT-7).
    state: `state-${randomUUID()}`,
    scope: 'atproto transition:generic',
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    ...extra,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function push(
  t: TestServer,
  key: DpopKey,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return post(t, PAR, params, { dpop: await proof(t, key, PAR), ...headers });
}

export function authorizeUrl(requestUri: string, clientId: string): string {
  const url = new URL(`${ISSUER}/authorize`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  return url.href;
}

export const userAgentOf = (t: TestServer) =>
  new UserAgent((url, init) => t.server.fetch(new Request(url, init)));

export interface FlowOptions {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  verifier?: string;
  /** Client authentication parameters, made afresh for each request (a client assertion). */
  auth?: () => Promise<Record<string, string>>;
}

/** PAR with the client's DPoP key, then login and consent: the callback, and what redeems its code. */
export async function authorizeCode(t: TestServer, key: DpopKey, options: FlowOptions = {}) {
  const clientId = options.clientId ?? CLIENT_ID;
  const redirectUri = options.redirectUri ?? REDIRECT;
  const verifier = options.verifier ?? `${VERIFIER}-${randomUUID()}`;
  const pushed = await push(t, key, {
    ...requestParams(
      {
        client_id: clientId,
        redirect_uri: redirectUri,
        ...(options.scope === undefined ? {} : { scope: options.scope }),
      },
      verifier,
    ),
    ...(await options.auth?.()),
  });
  assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
  const callback = await authorizeInBrowser(
    userAgentOf(t),
    authorizeUrl(String(pushed.body.request_uri), clientId),
    ISSUER,
    login,
  );
  return { callback, clientId, redirectUri, verifier };
}

/** The authorization_code token request for the code authorizeCode() brought back. */
export function codeParams(code: Awaited<ReturnType<typeof authorizeCode>>): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code: code.callback.searchParams.get('code')!,
    redirect_uri: code.redirectUri,
    code_verifier: code.verifier,
    client_id: code.clientId,
  };
}

/** PAR, login and consent, code redemption: what an atproto client does, with its DPoP key. */
export async function flow(t: TestServer, key: DpopKey, options: FlowOptions = {}) {
  const code = await authorizeCode(t, key, options);
  assert.equal(code.callback.searchParams.get('iss'), ISSUER);
  const redeemed = await post(
    t,
    TOKEN,
    { ...codeParams(code), ...(await options.auth?.()) },
    { dpop: await proof(t, key, TOKEN) },
  );
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  return {
    callback: code.callback,
    tokens: redeemed.body as Body & { access_token: string; refresh_token: string },
  };
}

/** A refresh with a proof of the client's DPoP key. */
export async function refresh(
  t: TestServer,
  key: DpopKey,
  refreshToken: string,
  clientId: string,
  auth: Record<string, string> = {},
) {
  return post(
    t,
    TOKEN,
    { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, ...auth },
    { dpop: await proof(t, key, TOKEN) },
  );
}

/** Publishes the private_key_jwt atproto client (AT-9) CONFIDENTIAL_ID in `documents`, with `keys`. */
export function publishConfidential(documents: ReturnType<typeof stubDocuments>, keys: JWK[]) {
  documents.publish(
    CONFIDENTIAL_ID,
    publicDocument({
      client_id: CONFIDENTIAL_ID,
      client_uri: 'https://web.example.test',
      redirect_uris: [WEB_REDIRECT],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys },
    }),
  );
}

/** CONFIDENTIAL_ID's client authentication with `key`: a fresh client assertion each call. */
export function assertionWith(t: TestServer, key: JoseKey) {
  return async () => ({
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await key.createJwt(
      { alg: 'ES256', kid: key.kid! },
      {
        iss: CONFIDENTIAL_ID,
        sub: CONFIDENTIAL_ID,
        aud: ISSUER,
        jti: randomUUID(),
        iat: Math.floor(t.now() / 1000),
        exp: Math.floor(t.now() / 1000) + 60,
      },
    ),
  });
}

/** A private_key_jwt atproto client (AT-9) published in `documents`, and its client assertions. */
export async function confidentialClient(t: TestServer, documents: ReturnType<typeof stubDocuments>) {
  const key = await JoseKey.generate(['ES256'], 'conf-key');
  publishConfidential(documents, [key.publicJwk as JWK]);
  return assertionWith(t, key);
}
