/**
 * The AT Protocol profile (`profile: 'atproto'`, docs/atproto.md, decision 0016) through
 * `server.fetch`: configuration refusals, the metadata (AT-12), PAR and DPoP for every client
 * (AT-6, AT-11), the request rules (AT-1, AT-7), the client document rules (AT-2, AT-4), the
 * loopback development client (AT-5), CORS (AT-13), the token response `sub` (AT-10) from the
 * subject supplier, key_ops tolerance and the eager revocation of confidential sessions whose key
 * left the document (AT-9).
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { JoseKey } from '@atproto/jwk-jose';
import { s256 } from '@gatehouse-oauth/core';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { isPage, UserAgent } from '../../../test/support/user-agent.ts';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { digest } from '../src/crypto/digest.ts';
import { outcomeOf } from '../src/http/request-outcome.ts';
import { type AuthorizationServerOptions, createAuthorizationServer } from '../src/index.ts';
import { describeAtprotoScope } from '../src/profiles/atproto-scope-descriptions.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { hashPassword } from '../src/users/password.ts';
import { contextOf } from './support/server-internals.ts';
import { stubDocuments } from './support/stub-documents.ts';
import {
  basic,
  createTestServer,
  ISSUER,
  PASSWORD,
  RESOURCE_SERVER,
  SECRET,
  VERIFIER,
} from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;
type Body = Record<string, unknown>;

const PDS = 'https://pds.example.test';
const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const CLIENT_ID = 'https://app.example.test/oauth-client-metadata.json';
const CONFIDENTIAL_ID = 'https://web.example.test/oauth-client-metadata.json';
const REDIRECT = 'https://app.example.test/callback';
const WEB_REDIRECT = 'https://web.example.test/callback';
const PAR = `${ISSUER}/par`;
const TOKEN = `${ISSUER}/token`;
const login = { username: 'alice', password: PASSWORD };

function publicDocument(extra: Body = {}): Body {
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

async function atprotoServer(overrides: Partial<AuthorizationServerOptions> = {}) {
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

interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

async function dpopKey(): Promise<DpopKey> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

async function proof(t: TestServer, key: DpopKey, htu: string, nonce?: string | null): Promise<string> {
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

async function post(
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

function requestParams(
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

async function push(
  t: TestServer,
  key: DpopKey,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return post(t, PAR, params, { dpop: await proof(t, key, PAR), ...headers });
}

function authorizeUrl(requestUri: string, clientId: string): string {
  const url = new URL(`${ISSUER}/authorize`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  return url.href;
}

const userAgentOf = (t: TestServer) => new UserAgent((url, init) => t.server.fetch(new Request(url, init)));

interface FlowOptions {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  verifier?: string;
  /** Client authentication parameters, made afresh for each request (a client assertion). */
  auth?: () => Promise<Record<string, string>>;
}

/** PAR with the client's DPoP key, then login and consent: the callback, and what redeems its code. */
async function authorizeCode(t: TestServer, key: DpopKey, options: FlowOptions = {}) {
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
function codeParams(code: Awaited<ReturnType<typeof authorizeCode>>): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code: code.callback.searchParams.get('code')!,
    redirect_uri: code.redirectUri,
    code_verifier: code.verifier,
    client_id: code.clientId,
  };
}

/** PAR, login and consent, code redemption: what an atproto client does, with its DPoP key. */
async function flow(t: TestServer, key: DpopKey, options: FlowOptions = {}) {
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
async function refresh(
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
function publishConfidential(documents: ReturnType<typeof stubDocuments>, keys: JWK[]) {
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
function assertionWith(t: TestServer, key: JoseKey) {
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

describe('atproto profile: configuration', () => {
  const base = {
    issuer: 'https://as.example.test',
    store: createMemoryStore(),
    resources: [{ uri: PDS, scopes: [] }],
  };
  const refused: [string, Partial<AuthorizationServerOptions>, RegExp][] = [
    ['an http issuer', { issuer: 'http://localhost:8080' }, /https origin.*AT-12/],
    ['an issuer with a path', { issuer: 'https://as.example.test/oauth' }, /https origin.*AT-12/],
    ['PAR not required', { par: { required: false } }, /AT-6/],
    ['DPoP not required', { dpop: { required: false } }, /AT-11/],
    ['DPoP nonces off', { dpop: { nonce: 'off' } }, /AT-11/],
    ['DPoP without ES256', { dpop: { algorithms: ['ES384'] } }, /AT-11/],
    ['client assertions without ES256', { clientAssertionAlgorithms: ['RS256'] }, /AT-9/],
    ['CIMD off', { cimd: { enabled: false } }, /AT-2/],
    ['documents without an auth method accepted', { cimd: { missingAuthMethod: 'none' } }, /AT-4/],
    ['CORS off', { cors: false }, /AT-13/],
    ['access tokens of 30 minutes', { lifetimes: { accessTokenSeconds: 1800 } }, /AT-10/],
    ['refresh tokens of a month', { lifetimes: { refreshTokenSeconds: 30 * 86400 } }, /AT-10/],
    [
      'confidential refresh tokens over 180 days',
      { lifetimes: { confidentialRefreshTokenSeconds: 181 * 86400 } },
      /confidentialRefreshTokenSeconds.*180 days.*AT-10/,
    ],
    ['DPoP not required at PAR', { dpop: { requiredAtPar: false } }, /requiredAtPar.*AT-11/],
    ['no resource', { resources: [] }, /resources/],
  ];
  for (const [name, options, message] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => createAuthorizationServer({ ...base, profile: 'atproto', ...options }), message);
    });
  }

  it('accepts confidential refresh tokens of 180 days and sessions of any length (AT-10)', () => {
    const server = createAuthorizationServer({
      ...base,
      profile: 'atproto',
      lifetimes: {
        confidentialRefreshTokenSeconds: 180 * 86400,
        confidentialTokenFamilySeconds: 3650 * 86400,
      },
    });
    assert.equal(contextOf(server).lifetimes.confidentialRefreshTokenSeconds, 180 * 86400);
    assert.equal(contextOf(server).lifetimes.confidentialTokenFamilySeconds, 3650 * 86400);
    assert.equal(contextOf(server).lifetimes.refreshTokenSeconds, 14 * 86400, 'public clients keep 14 days');
    assert.equal(contextOf(server).dpop.requiredAtPar, true, 'DPoP from PAR on (AT-11)');
  });
});

describe('atproto profile: metadata (AT-12, AT-13)', async () => {
  const { t } = await atprotoServer();

  it('publishes what atproto clients require', async () => {
    const response = await t.send(`${ISSUER}/.well-known/oauth-authorization-server`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const metadata = (await response.json()) as Body;
    assert.equal(metadata.issuer, ISSUER);
    assert.equal(metadata.require_pushed_authorization_requests, true);
    assert.equal(metadata.pushed_authorization_request_endpoint, PAR);
    assert.equal(metadata.client_id_metadata_document_supported, true);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.equal(metadata.require_request_uri_registration, true);
    assert.deepEqual(metadata.token_endpoint_auth_signing_alg_values_supported, ['ES256']);
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, ['ES256']);
    for (const method of ['none', 'private_key_jwt']) {
      assert.ok((metadata.token_endpoint_auth_methods_supported as string[]).includes(method));
    }
    assert.ok((metadata.scopes_supported as string[]).includes('atproto'));
    assert.ok((metadata.code_challenge_methods_supported as string[]).includes('S256'));
    assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'refresh_token']);
    assert.equal(metadata.registration_endpoint, undefined, 'clients come by metadata document (AT-2)');
  });

  it('answers CORS preflights on metadata, PAR and token, never on /authorize (AT-13)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/par', '/token', '/revoke']) {
      const response = await t.send(`${ISSUER}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
      });
      assert.equal(response.status, 204, path);
      assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
      assert.match(response.headers.get('access-control-allow-headers') ?? '', /DPoP/, path);
      assert.equal(response.headers.get('access-control-allow-credentials'), null, path);
    }
    const authorize = await t.send(`${ISSUER}/authorize`, {
      method: 'OPTIONS',
      headers: { origin: 'https://x.test' },
    });
    assert.equal(authorize.headers.get('access-control-allow-origin'), null);
    const page = await t.send(`${ISSUER}/authorize?client_id=${encodeURIComponent(CLIENT_ID)}`);
    assert.equal(page.headers.get('access-control-allow-origin'), null);
  });
});

describe('atproto profile: a public client (AT-1, AT-6, AT-7, AT-10, AT-11)', async () => {
  const { t } = await atprotoServer();
  await t.addResourceServer();
  const key = await dpopKey();

  it('completes PAR → authorize → token with DPoP; the response carries the DID as sub', async () => {
    const { tokens } = await flow(t, key);
    assert.equal(tokens.token_type, 'DPoP');
    assert.equal(tokens.sub, DID);
    assert.equal(tokens.scope, 'atproto transition:generic');
    assert.ok(tokens.refresh_token);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, DID, 'the access token sub comes from the subject supplier');
    assert.equal(claims.aud, PDS, 'the default resource is the PDS');
    assert.deepEqual(claims.cnf, { jkt: key.jkt });
    // Refresh: same DPoP key, sub again.
    const refreshed = await refresh(t, key, tokens.refresh_token, CLIENT_ID);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.sub, DID);
    assert.equal(refreshed.response.headers.get('access-control-allow-origin'), '*', 'CORS on token (AT-13)');
    // Introspection (a resource server with credentials) says the same sub.
    const refreshToken = String(refreshed.body.refresh_token);
    const introspected = await post(
      t,
      `${ISSUER}/introspect`,
      { token: refreshToken },
      basic(RESOURCE_SERVER, SECRET),
    );
    assert.equal(introspected.body.active, true);
    assert.equal(introspected.body.sub, DID);
    assert.equal(
      introspected.response.headers.get('access-control-allow-origin'),
      null,
      'no CORS on introspection',
    );
  });

  it('refuses an authorization request that was not pushed (AT-6)', async () => {
    const url = `${ISSUER}/authorize?${new URLSearchParams(requestParams())}`;
    const response = await t.send(url);
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
  });

  it('refuses a pushed request without DPoP (AT-11), asking for a nonce first', async () => {
    const without = await post(t, PAR, requestParams());
    assert.equal(without.status, 400);
    assert.equal(without.body.error, 'invalid_dpop_proof');
    assert.equal(without.reason, 'dpop_required');
    const noNonce = await post(t, PAR, requestParams(), { dpop: await proof(t, key, PAR, null) });
    assert.equal(noNonce.status, 400);
    assert.equal(noNonce.body.error, 'use_dpop_nonce');
    assert.ok(noNonce.response.headers.get('dpop-nonce'));
    assert.equal(noNonce.response.headers.get('access-control-allow-origin'), '*');
    assert.match(noNonce.response.headers.get('access-control-expose-headers') ?? '', /DPoP-Nonce/);
  });

  it('requires state and the atproto scope (AT-7, AT-1)', async () => {
    const noState = await push(t, key, requestParams({ state: undefined }, `${VERIFIER}-a`));
    assert.equal(noState.status, 400);
    assert.equal(noState.reason, 'atproto_state_missing');
    const noScope = await push(t, key, requestParams({ scope: 'transition:generic' }, `${VERIFIER}-b`));
    assert.equal(noScope.status, 400);
    assert.equal(noScope.body.error, 'invalid_scope');
    assert.equal(noScope.reason, 'atproto_scope_missing');
    const none = await push(t, key, requestParams({ scope: undefined }, `${VERIFIER}-c`));
    assert.equal(none.reason, 'atproto_scope_missing');
  });

  it('blocks the reuse of a code_challenge (AT-7)', async () => {
    const verifier = `${VERIFIER}-reused`;
    const first = await push(t, key, requestParams({}, verifier));
    assert.equal(first.status, 201);
    const second = await push(t, key, requestParams({}, verifier));
    assert.equal(second.status, 400);
    assert.equal(second.reason, 'code_challenge_reused');
  });
});

describe('atproto profile: client documents (AT-2, AT-4)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();

  it('refuses a client_id with a port without fetching it (AT-2)', async () => {
    const withPort = 'https://app.example.test:8443/oauth-client-metadata.json';
    documents.publish(withPort, publicDocument({ client_id: withPort }));
    const answer = await push(t, key, requestParams({ client_id: withPort }));
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_client');
    assert.equal(answer.reason, 'atproto_client_id_port');
    assert.equal(documents.fetches(withPort), 0);
  });

  const invalid: [string, Body, string][] = [
    [
      'without dpop_bound_access_tokens',
      { dpop_bound_access_tokens: false },
      'atproto_dpop_bound_access_tokens',
    ],
    ['without the atproto scope', { scope: 'transition:generic' }, 'atproto_scope_missing'],
    [
      'without token_endpoint_auth_method',
      { token_endpoint_auth_method: undefined },
      'cimd_auth_method_missing',
    ],
    [
      'with client_uri on another host',
      { client_uri: 'https://elsewhere.example.test' },
      'atproto_client_uri_host',
    ],
    [
      'with a private-use redirect on a web client',
      { redirect_uris: ['test.example.app:/cb'] },
      'atproto_redirect_uri',
    ],
  ];
  for (const [name, change, reason] of invalid) {
    it(`refuses a document ${name}`, async () => {
      const clientId = `https://app.example.test/${reason}-${randomUUID()}.json`;
      const document = publicDocument({ client_id: clientId, ...change });
      for (const field of Object.keys(document)) if (document[field] === undefined) delete document[field];
      documents.publish(clientId, document);
      const answer = await push(t, key, requestParams({ client_id: clientId }));
      assert.equal(answer.body.error, 'invalid_client', JSON.stringify(answer.body));
      assert.equal(answer.reason, reason);
    });
  }

  it('answers a known client from memory, without a store read, through the AT-2 guard (decision 0020)', async () => {
    // A server of its own: the other tests here spend app.example.test's fetch budget.
    const { t, documents } = await atprotoServer();
    const first = await push(t, key, requestParams());
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const reads = { clients: 0, documents: 0 };
    const { clients, clientDocuments } = t.store;
    const get = clients.get.bind(clients);
    const latest = clientDocuments.latest.bind(clientDocuments);
    clients.get = (id) => {
      if (id === CLIENT_ID) reads.clients++;
      return get(id);
    };
    clientDocuments.latest = (id) => {
      if (id === CLIENT_ID) reads.documents++;
      return latest(id);
    };
    try {
      const fetchesBefore = documents.fetches(CLIENT_ID);
      for (let i = 0; i < 3; i++) {
        const again = await push(t, key, requestParams({}, `${VERIFIER}-${randomUUID()}`));
        assert.equal(again.status, 201, JSON.stringify(again.body));
      }
      assert.deepEqual(reads, { clients: 0, documents: 0 });
      assert.equal(documents.fetches(CLIENT_ID), fetchesBefore);
    } finally {
      clients.get = get;
      clientDocuments.latest = latest;
    }
  });

  it('accepts a native client with a reverse-domain private-use redirect (AT-8)', async () => {
    const clientId = 'https://native.example.test/oauth-client-metadata.json';
    documents.publish(
      clientId,
      publicDocument({
        client_id: clientId,
        client_uri: 'https://native.example.test',
        application_type: 'native',
        redirect_uris: ['test.example.native:/callback'],
      }),
    );
    const answer = await push(
      t,
      key,
      requestParams({ client_id: clientId, redirect_uri: 'test.example.native:/callback' }),
    );
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
  });
});

describe('atproto profile: a flood of unknown client_ids (issue #8, decision 0020)', async () => {
  // A bucket of a tenth of a fetch per host: every host's first fetch is already over its rate.
  const { t, documents } = await atprotoServer({ cimd: { fetchesPerSecondPerHost: 0.1 } });
  const key = await dpopKey();

  it('refuses what the governor would refuse before any store read, through the AT-2 guard', async () => {
    const reads = { clients: 0, documents: 0 };
    const { clients, clientDocuments } = t.store;
    const get = clients.get.bind(clients);
    const latest = clientDocuments.latest.bind(clientDocuments);
    clients.get = (id) => {
      if (id.startsWith('https://')) reads.clients++;
      return get(id);
    };
    clientDocuments.latest = (id) => {
      reads.documents++;
      return latest(id);
    };
    try {
      for (let i = 0; i < 10; i++) {
        const clientId = `https://f${i % 2}.flood.test/u/${i}`;
        const answer = await push(t, key, requestParams({ client_id: clientId }));
        assert.equal(answer.status, 401);
        assert.equal(answer.body.error, 'invalid_client');
        assert.equal(answer.reason, 'cimd_host_rate');
      }
      // AT-2 still comes first: a client_id with a port is refused for its port, not its host's rate.
      const withPort = await push(t, key, requestParams({ client_id: 'https://f0.flood.test:8443/u/x' }));
      assert.equal(withPort.status, 401);
      assert.equal(withPort.reason, 'atproto_client_id_port');
      assert.deepEqual(reads, { clients: 0, documents: 0 });
      assert.equal(documents.fetches(CLIENT_ID), 0);
      const rows = await t.store.audit.list({ type: 'cimd.refused' });
      assert.deepEqual(
        rows
          .filter((row) => row.detail?.host !== undefined)
          .map((row) => row.detail?.host)
          .sort(),
        ['f0.flood.test', 'f1.flood.test'],
        'audited in aggregate: the first refusal of each host',
      );
    } finally {
      clients.get = get;
      clientDocuments.latest = latest;
    }
  });
});

describe('atproto profile: the loopback development client (AT-5)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();

  it('completes the flow with http://localhost and a redirect on an ephemeral port, without any fetch', async () => {
    const { callback, tokens } = await flow(t, key, {
      clientId: 'http://localhost',
      redirectUri: 'http://127.0.0.1:61234/',
      scope: 'atproto',
    });
    assert.equal(callback.origin, 'http://127.0.0.1:61234');
    assert.equal(tokens.sub, DID);
    assert.equal(decodeJwt(tokens.access_token).client_id, 'http://localhost');
  });

  it('takes redirect_uri and scope from the client_id query', async () => {
    const clientId = `http://localhost?redirect_uri=${encodeURIComponent('http://127.0.0.1/callback')}&scope=${encodeURIComponent('atproto transition:generic')}`;
    const { tokens } = await flow(t, key, { clientId, redirectUri: 'http://127.0.0.1:5000/callback' });
    assert.equal(tokens.scope, 'atproto transition:generic');
    const wrongPath = await push(
      t,
      key,
      requestParams({ client_id: clientId, redirect_uri: 'http://127.0.0.1:5000/other' }),
    );
    assert.equal(wrongPath.status, 400);
    assert.equal(wrongPath.reason, 'redirect_uri_mismatch');
    const beyondScope = await push(
      t,
      key,
      requestParams({
        client_id: 'http://localhost',
        redirect_uri: 'http://127.0.0.1/',
        scope: 'atproto transition:generic',
      }),
    );
    assert.equal(beyondScope.body.error, 'invalid_scope', 'the default loopback scope is atproto only');
    assert.equal(documents.fetches('http://localhost'), 0);
  });

  it('is off outside the profile unless asked for', async () => {
    const plain = await createTestServer();
    const response = await plain.send(
      `${ISSUER}/authorize?${new URLSearchParams({ client_id: 'http://localhost', redirect_uri: 'http://127.0.0.1/', response_type: 'code', code_challenge: s256(VERIFIER), code_challenge_method: 'S256' })}`,
    );
    assert.equal(response.status, 400);
    assert.match(await response.text(), /unknown client_id/);
    const enabled = await createTestServer({ atproto: { loopbackClient: true } });
    const allowed = await enabled.send(
      `${ISSUER}/authorize?${new URLSearchParams({ client_id: 'http://localhost', redirect_uri: 'http://127.0.0.1:4000/', response_type: 'code', scope: 'atproto', code_challenge: s256(VERIFIER), code_challenge_method: 'S256' })}`,
    );
    assert.notEqual(allowed.status, 400, await allowed.clone().text());
  });
});

describe('atproto profile: a confidential client (AT-9)', async () => {
  const { t, documents } = await atprotoServer();
  const dpop = await dpopKey();
  // The client's keys as @atproto/jwk-jose makes them: public JWKs carry key_ops values
  // (`verify`, `encrypt`, `wrapKey`) a strict importer refuses for signature verification.
  const first = await JoseKey.generate(['ES256'], 'key-1');
  const second = await JoseKey.generate(['ES256'], 'key-2');
  const publish = (keys: JWK[]) => publishConfidential(documents, keys);

  it('authenticates with keys whose key_ops strict libraries reject, and binds the session to the key', async () => {
    publish([first.publicJwk as JWK, { ...(second.publicJwk as JWK), key_ops: ['sign'], use: 'sig' }]);
    const withFirst = await flow(t, dpop, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertionWith(t, first),
    });
    assert.equal(withFirst.tokens.sub, DID);
    const withSecond = await flow(t, dpop, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertionWith(t, second),
    });
    assert.ok(
      withSecond.tokens.access_token,
      'a key published with key_ops ["sign"] and use "sig" verifies too',
    );
  });

  it('revokes the sessions of a key that left the document at the next re-check, not only at refresh', async () => {
    const families = async () =>
      (await t.store.tokenFamilies.listByClient(CONFIDENTIAL_ID)).filter(
        (family) => family.revokedAt === undefined,
      );
    assert.equal((await families()).length, 2);
    const unchanged = await t.server.recheckClientKeys();
    assert.deepEqual(unchanged, { clientsChecked: 1, clientsUnreachable: 0, familiesRevoked: 0 });

    publish([second.publicJwk as JWK]); // key-1 rotated out
    t.advance(31_000); // past the document cache's re-fetch cooldown
    const result = await t.server.recheckClientKeys();
    assert.deepEqual(result, { clientsChecked: 1, clientsUnreachable: 0, familiesRevoked: 1 });
    const live = await families();
    assert.equal(live.length, 1);
    assert.equal(
      live[0]!.clientKeyThumbprint,
      await calculateJwkThumbprint(second.publicJwk as JWK, 'sha256'),
    );
    const events = await t.store.audit.list({ type: 'token_family.revoked', clientId: CONFIDENTIAL_ID });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.reason, 'client_key_removed');
  });

  it('refuses an assertion signed with another algorithm than ES256 (AT-9)', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const answer = await push(t, dpop, {
      ...requestParams({ client_id: CONFIDENTIAL_ID, redirect_uri: WEB_REDIRECT }),
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'RS256', kid: 'key-2' })
        .setIssuer(CONFIDENTIAL_ID)
        .setSubject(CONFIDENTIAL_ID)
        .setAudience(ISSUER)
        .setIssuedAt(Math.floor(t.now() / 1000))
        .setExpirationTime(Math.floor(t.now() / 1000) + 60)
        .sign(rsa.privateKey),
    });
    assert.equal(answer.body.error, 'invalid_client');
    assert.equal(answer.reason, 'assertion_alg');
  });
});

describe('CORS outside the profile (AT-13, configurable)', () => {
  it('is off by default on token and PAR, and on when configured', async () => {
    const plain = await createTestServer();
    const off = await plain.send(`${ISSUER}/token`, {
      method: 'POST',
      headers: { origin: 'https://x.test' },
    });
    assert.equal(off.headers.get('access-control-allow-origin'), null);
    const on = await createTestServer({ cors: true });
    const preflight = await on.send(`${ISSUER}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://x.test' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    const error = await on.send(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://x.test' },
      body: 'grant_type=authorization_code',
    });
    assert.ok(error.status >= 400);
    assert.equal(error.headers.get('access-control-allow-origin'), '*', 'errors are readable too');
  });
});

/** A private_key_jwt atproto client (AT-9) published in `documents`, and its client assertions. */
async function confidentialClient(t: TestServer, documents: ReturnType<typeof stubDocuments>) {
  const key = await JoseKey.generate(['ES256'], 'conf-key');
  publishConfidential(documents, [key.publicJwk as JWK]);
  return assertionWith(t, key);
}

describe('atproto profile: DPoP is required before client authentication (AT-11, issue #5)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();
  const assertion = await confidentialClient(t, documents);

  it('refuses a private_key_jwt PAR without DPoP, and the same assertion then works with a proof', async () => {
    const params = {
      ...requestParams({ client_id: CONFIDENTIAL_ID, redirect_uri: WEB_REDIRECT }),
      ...(await assertion()),
    };
    const without = await post(t, PAR, params);
    assert.equal(without.status, 400);
    assert.equal(without.body.error, 'invalid_dpop_proof');
    assert.equal(without.reason, 'dpop_required');
    assert.ok(without.response.headers.get('dpop-nonce'), 'the refusal carries the nonce to use');
    // The refusal's log line names the client the form named; it was refused before authentication,
    // which the same assertion (its jti not spent) working next shows.
    assert.equal(without.clientId, CONFIDENTIAL_ID);
    const withProof = await post(t, PAR, params, { dpop: await proof(t, key, PAR) });
    assert.equal(withProof.status, 201, JSON.stringify(withProof.body));
  });

  it('refuses a token request without DPoP before authentication too (dpop.required)', async () => {
    const code = await authorizeCode(t, key, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertion,
    });
    const params = { ...codeParams(code), ...(await assertion()) };
    const without = await post(t, TOKEN, params);
    assert.equal(without.status, 400);
    assert.equal(without.reason, 'dpop_required');
    const withProof = await post(t, TOKEN, params, { dpop: await proof(t, key, TOKEN) });
    assert.equal(withProof.status, 200, JSON.stringify(withProof.body));
  });
});

describe('dpop.requiredAtPar outside the profile', () => {
  it('is off by default and, when on, refuses a PAR without a proof before authentication', async () => {
    const params = {
      client_id: 'basic-app',
      redirect_uri: 'https://app.example.test/callback',
      response_type: 'code',
      scope: 'mcp:tools',
      resource: 'https://mcp.example.test/mcp',
      code_challenge: s256(VERIFIER),
      code_challenge_method: 'S256',
    };
    const plain = await createTestServer();
    const accepted = await post(plain, PAR, params, basic('basic-app', SECRET));
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    const strict = await createTestServer({ dpop: { requiredAtPar: true } });
    const wrongSecret = await post(strict, PAR, params, basic('basic-app', 'not-the-secret'));
    assert.equal(wrongSecret.reason, 'dpop_required', 'the proof requirement comes before the client');
    const key = await dpopKey();
    const proved = await post(strict, PAR, params, {
      ...basic('basic-app', SECRET),
      dpop: await proof(strict, key, PAR),
    });
    assert.equal(proved.status, 201, JSON.stringify(proved.body));
  });
});

describe('atproto profile: lifetimes by client kind (AT-10)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();
  const assertion = await confidentialClient(t, documents);
  const DAY_MS = 86400 * 1000;

  it('gives a confidential client 90-day refresh tokens in a year-long session, always with sub and scope', async () => {
    const started = t.now();
    const { tokens } = await flow(t, key, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertion,
    });
    assert.equal(tokens.sub, DID);
    assert.equal(tokens.scope, 'atproto transition:generic');
    const stored = await t.store.refreshTokens.get(digest(tokens.refresh_token));
    assert.equal(stored?.expiresAt, started + 90 * DAY_MS);
    const family = await t.store.tokenFamilies.get(stored!.familyId);
    assert.equal(family?.expiresAt, started + 365 * DAY_MS);
    // 60 days later: beyond any public client's limit, still within the confidential one.
    t.advance(60 * DAY_MS);
    const refreshed = await refresh(t, key, tokens.refresh_token, CONFIDENTIAL_ID, await assertion());
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.sub, DID, 'AT-10: every token response carries sub');
    assert.equal(refreshed.body.scope, 'atproto transition:generic', 'and scope');
    const next = await t.store.refreshTokens.get(digest(String(refreshed.body.refresh_token)));
    assert.equal(next?.expiresAt, t.now() + 90 * DAY_MS);
  });

  it('keeps a public client at 14 days', async () => {
    const started = t.now();
    const { tokens } = await flow(t, key);
    const stored = await t.store.refreshTokens.get(digest(tokens.refresh_token));
    assert.equal(stored?.expiresAt, started + 14 * DAY_MS);
    const family = await t.store.tokenFamilies.get(stored!.familyId);
    assert.equal(family?.expiresAt, started + 14 * DAY_MS);
    t.advance(15 * DAY_MS);
    const refused = await refresh(t, key, tokens.refresh_token, CLIENT_ID);
    assert.equal(refused.reason, 'refresh_token_expired');
  });

  it('outside the profile, confidential lifetimes default to the general ones and apply when set', async () => {
    const plain = await createTestServer();
    assert.equal(contextOf(plain.server).lifetimes.confidentialRefreshTokenSeconds, undefined);
    const tuned = await createTestServer({
      lifetimes: { confidentialRefreshTokenSeconds: 3600, confidentialTokenFamilySeconds: 7200 },
    });
    const callback = await tuned.authorize({ client_id: 'basic-app' });
    const answer = await tuned.token(
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: 'https://app.example.test/callback',
        code_verifier: VERIFIER,
      },
      basic('basic-app', SECRET),
    );
    const body = (await answer.json()) as Body;
    assert.equal(answer.status, 200, JSON.stringify(body));
    const stored = await tuned.store.refreshTokens.get(digest(String(body.refresh_token)));
    assert.equal(stored?.expiresAt, tuned.now() + 3600 * 1000);
    assert.equal(
      (await tuned.store.tokenFamilies.get(stored!.familyId))?.expiresAt,
      tuned.now() + 7200 * 1000,
    );
    const publicTokens = await tuned.tokensFor();
    const publicStored = await tuned.store.refreshTokens.get(digest(String(publicTokens.refresh_token)));
    assert.equal(
      publicStored?.expiresAt,
      tuned.now() + 14 * DAY_MS,
      'public clients keep refreshTokenSeconds',
    );
  });
});

describe('atproto profile: a duplicate state is refused (AT-7)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();
  const assertion = await confidentialClient(t, documents);

  it('accepts a state once per client within 24 hours', async () => {
    const state = `state-${randomUUID()}`;
    const first = await push(t, key, requestParams({ state }, `${VERIFIER}-1`));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await push(t, key, requestParams({ state }, `${VERIFIER}-2`));
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_request');
    assert.equal(second.reason, 'state_reused');
    const otherClient = await push(t, key, {
      ...requestParams({ state, client_id: CONFIDENTIAL_ID, redirect_uri: WEB_REDIRECT }, `${VERIFIER}-3`),
      ...(await assertion()),
    });
    assert.equal(otherClient.status, 201, 'another client may use the same value');
    t.advance(24 * 3600 * 1000 + 1000);
    const later = await push(t, key, requestParams({ state }, `${VERIFIER}-4`));
    assert.equal(later.status, 201, 'remembered for 24 hours, like a code_challenge');
  });
});

describe('atproto profile: the authorization interface (AT-14)', async () => {
  const { t } = await atprotoServer();
  const key = await dpopKey();
  await t.store.users.create({
    id: 'user-bob',
    username: 'bob',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: t.now(),
  });
  const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);
  const open = async (ua: UserAgent, extra: Record<string, string>) => {
    const pushed = await push(t, key, requestParams(extra, `${VERIFIER}-${randomUUID()}`));
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
    return ua.navigate(authorizeUrl(String(pushed.body.request_uri), CLIENT_ID), atClient);
  };
  const userAgent = () => userAgentOf(t);

  it('pre-fills the hinted account and refuses another one, changing nothing', async () => {
    const ua = userAgent();
    const page = await open(ua, { login_hint: 'alice' });
    assert.ok(isPage(page));
    assert.match(page.html, /name="username"[^>]*value="alice"/);
    assert.match(page.html, /asked to sign in as <strong>alice<\/strong>/);
    const sessionsBefore = ua.cookieNames();
    const refused = await ua.submit(page, { username: 'bob', password: PASSWORD }, atClient);
    assert.ok(isPage(refused));
    assert.equal(refused.status, 403);
    assert.match(
      refused.html,
      /role="alert"[^>]*>This application asked to sign in as <strong>alice<\/strong>/,
    );
    assert.deepEqual(ua.cookieNames(), sessionsBefore, 'no session was started');
    assert.equal((await t.store.audit.list({ type: 'login.succeeded' })).length, 0);
    // The same request is still pending: the hinted account signs in on the same form.
    const consent = await ua.submit(refused, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    assert.match(consent.html, /name="decision"/);
  });

  it('takes a DID as the hint, matched against the subject supplier', async () => {
    const ua = userAgent();
    const page = await open(ua, { login_hint: DID });
    assert.ok(isPage(page));
    assert.match(page.html, /name="username"[^>]*value=""/, 'a DID is no username, so nothing is pre-filled');
    const refused = await ua.submit(page, { username: 'bob', password: PASSWORD }, atClient);
    assert.ok(isPage(refused));
    assert.equal(refused.status, 403);
    const consent = await ua.submit(refused, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(consent));
    assert.match(consent.html, /name="decision"/);
  });

  it("does not answer with another account's session", async () => {
    const ua = userAgent();
    const first = await open(ua, {});
    assert.ok(isPage(first));
    const consent = await ua.submit(first, { username: 'bob', password: PASSWORD }, atClient);
    assert.ok(isPage(consent) && consent.html.includes('name="decision"'), 'bob is signed in');
    const hinted = await open(ua, { login_hint: 'alice' });
    assert.ok(isPage(hinted));
    assert.match(hinted.html, /name="password"/, "bob's session does not answer a request for alice");
    const silent = await open(ua, { login_hint: 'alice', prompt: 'none' });
    assert.ok(!isPage(silent));
    assert.equal(new URL(silent.redirectedTo).searchParams.get('error'), 'login_required');
    const bobSilent = await open(ua, { login_hint: 'bob', prompt: 'none' });
    assert.ok(!isPage(bobSilent));
    assert.equal(
      new URL(bobSilent.redirectedTo).searchParams.get('error'),
      'consent_required',
      "bob's own session does answer a request for bob (he has not consented yet)",
    );
  });

  it('shows the full client_id, the client name and what each scope allows', async () => {
    const ua = userAgent();
    const page = await open(ua, {});
    assert.ok(isPage(page));
    const consent = await ua.submit(page, login, atClient);
    assert.ok(isPage(consent));
    assert.ok(consent.html.includes(`<code>${CLIENT_ID}</code>`), consent.html);
    assert.match(consent.html, /calls itself “Example atproto app”/);
    assert.match(consent.html, /<code>atproto<\/code>: know which account you are/);
    assert.match(consent.html, /<code>transition:generic<\/code>: read and write your public data/);
  });

  it('describes the atproto scopes', () => {
    assert.match(describeAtprotoScope('transition:email') ?? '', /email/);
    assert.match(
      describeAtprotoScope('repo:app.bsky.feed.post?action=create') ?? '',
      /^create records of type app\.bsky\.feed\.post/,
    );
    assert.match(describeAtprotoScope('repo?collection=app.bsky.feed.like') ?? '', /app\.bsky\.feed\.like/);
    assert.match(describeAtprotoScope('rpc:app.bsky.feed.getTimeline?aud=*') ?? '', /getTimeline/);
    assert.match(describeAtprotoScope('blob:image/*') ?? '', /image\/\*/);
    assert.match(describeAtprotoScope('account:email?action=manage') ?? '', /^manage your account's email/);
    assert.match(describeAtprotoScope('include:app.example.basePermissions') ?? '', /permission set/);
    assert.equal(describeAtprotoScope('mcp:tools'), undefined);
    assert.equal(describeAtprotoScope('profile'), undefined);
  });
});
