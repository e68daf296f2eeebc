/**
 * The AT Protocol profile (`profile: 'atproto'`, docs/atproto.md, decision 0016) through
 * `server.fetch`: the configuration refusals and the defaults it brings (AT-10), the metadata atproto
 * clients require (AT-12), CORS on metadata, PAR and token (AT-13), and CORS outside the profile.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuthorizationServerOptions, createAuthorizationServer } from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { atprotoServer, type Body, CLIENT_ID, PAR, PDS } from './support/atproto-profile.ts';
import { contextOf } from './support/server-internals.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

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
