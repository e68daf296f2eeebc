/** RFC 7591 registration endpoint (DCR-EP-*, DCR-ERR-*, DCR-MD-*, DCR-SEC-1): what it accepts, answers and refuses. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digest } from '../src/crypto/digest.ts';
import { errorOf, type Json, publicClient } from './support/registration.ts';
import { APP_REDIRECT, basic, createTestServer, ISSUER } from './support/test-server.ts';

describe('registration endpoint (RFC 7591 §3)', () => {
  it('is advertised in the metadata (RFC 8414, MCP-5) and can be switched off', async () => {
    const t = await createTestServer();
    const metadata = (await (
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Json;
    assert.equal(metadata.registration_endpoint, `${ISSUER}/register`);
    const off = await createTestServer({ registration: { enabled: false } });
    const offMetadata = (await (
      await off.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Json;
    assert.equal('registration_endpoint' in offMetadata, false);
    assert.equal((await off.register(publicClient)).status, 404);
  });

  it('answers 201 with every registered and provisioned field (DCR-EP-7/8, DCR-MG-1)', async () => {
    const t = await createTestServer();
    const response = await t.register({ redirect_uris: [APP_REDIRECT], unknown_member: 1 });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as Json;
    const clientId = body.client_id as string;
    assert.match(clientId, /^dcr_[A-Za-z0-9_-]+$/);
    assert.doesNotMatch(clientId, /^[a-z][a-z0-9+.-]*:/i);
    assert.equal(body.client_id_issued_at, Math.floor(t.now() / 1000));
    // DCR-MD-2..4 defaults, returned.
    assert.equal(body.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(body.grant_types, ['authorization_code']);
    assert.deepEqual(body.response_types, ['code']);
    assert.equal(typeof body.client_secret, 'string');
    assert.ok((body.client_secret as string).length >= 43);
    assert.equal(body.client_secret_expires_at, 0);
    assert.equal(typeof body.registration_access_token, 'string');
    assert.equal(body.registration_client_uri, `${ISSUER}/register/${clientId}`);
    assert.equal('unknown_member' in body, false);
    const record = await t.store.clients.get(clientId);
    assert.equal(record?.kind, 'dcr');
    assert.equal(record?.secretDigest, digest(body.client_secret as string));
    assert.equal(record?.registration?.accessTokenDigest, digest(body.registration_access_token as string));
    assert.equal(JSON.stringify(record).includes(body.client_secret as string), false);
    const audit = await t.store.audit.list({ type: 'client.registered' });
    assert.equal(audit[0]?.clientId, clientId);
  });

  it('issues secrets with the configured expiry, and none for public clients', async () => {
    const t = await createTestServer({ registration: { secretLifetimeSeconds: 3600 } });
    const confidential = (await (await t.register({ redirect_uris: [APP_REDIRECT] })).json()) as Json;
    assert.equal(confidential.client_secret_expires_at, Math.floor(t.now() / 1000) + 3600);
    // RFC 7591 §3.2.1: past client_secret_expires_at the secret no longer authenticates.
    t.advance(3601_000);
    const expired = await t.token(
      { grant_type: 'refresh_token', refresh_token: 'x' },
      basic(confidential.client_id as string, confidential.client_secret as string),
    );
    assert.equal(expired.status, 401);
    assert.equal(await errorOf(expired), 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'client_secret_expired');
    const pub = (await (await t.register(publicClient)).json()) as Json;
    assert.equal('client_secret' in pub, false);
    assert.equal('client_secret_expires_at' in pub, false);
  });

  it('a registered confidential client authenticates at the token endpoint with its secret', async () => {
    const t = await createTestServer();
    const body = (await (
      await t.register({ redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'client_secret_post' })
    ).json()) as Json;
    const response = await t.token({
      grant_type: 'authorization_code',
      code: 'nope',
      redirect_uri: APP_REDIRECT,
      client_id: body.client_id as string,
      client_secret: body.client_secret as string,
    });
    // Authenticated: the failure is about the code, not the client.
    assert.equal(await errorOf(response), 'invalid_grant');
  });

  // [name, body, error, reason]: RFC 7591 §3.2.2 codes, and the reason that proves the cause.
  const refusals: Array<[string, Json | string, string, string]> = [
    [
      'http redirect (DCR-SEC-1)',
      { redirect_uris: ['http://app.example/cb'] },
      'invalid_redirect_uri',
      'redirect_uri_http_not_loopback',
    ],
    ['no redirect', { token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri', 'redirect_uris_missing'],
    [
      'a relative redirect',
      { ...publicClient, redirect_uris: ['/cb'] },
      'invalid_redirect_uri',
      'redirect_uri_not_absolute',
    ],
    [
      'a redirect with user information',
      { ...publicClient, redirect_uris: ['https://user:pw@app.example/cb'] },
      'invalid_redirect_uri',
      'redirect_uri_userinfo',
    ],
    [
      'a redirect without an authority (issue #18)',
      { ...publicClient, redirect_uris: ['https:evil.example'] },
      'invalid_redirect_uri',
      'redirect_uri_no_authority',
    ],
    [
      'a redirect with a NUL byte (issue #18)',
      { ...publicClient, redirect_uris: [`${APP_REDIRECT}\u0000`] },
      'invalid_redirect_uri',
      'redirect_uri_control_character',
    ],
    [
      'a redirect with a raw non-ASCII host (issue #18)',
      { ...publicClient, redirect_uris: ['https://bücher.example/cb'] },
      'invalid_redirect_uri',
      'redirect_uri_host_not_ascii',
    ],
    [
      'a javascript: logo_uri (issue #18)',
      { ...publicClient, logo_uri: 'javascript:alert(1)' },
      'invalid_client_metadata',
      'uri_not_https',
    ],
    [
      "a tos_uri on a private address, by safe-fetch's tables (issue #18)",
      { ...publicClient, tos_uri: 'https://192.168.1.1/tos' },
      'invalid_client_metadata',
      'uri_special_purpose_address',
    ],
    [
      'a jwks_uri on the cloud metadata address wrapped in IPv6 (issue #18)',
      {
        ...publicClient,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://[::ffff:169.254.169.254]/',
      },
      'invalid_client_metadata',
      'uri_special_purpose_address',
    ],
    [
      'a redirect that does not parse',
      { ...publicClient, redirect_uris: ['https://exa mple.test/cb'] },
      'invalid_redirect_uri',
      'redirect_uri_malformed',
    ],
    [
      'an overlong redirect (the metadata schema caps it at 2048 before the syntax check)',
      { ...publicClient, redirect_uris: [`https://app.example/${'a'.repeat(3000)}`] },
      'invalid_redirect_uri',
      'redirect_uris_schema',
    ],
    ['a body that is not JSON', '{"redirect_uris":', 'invalid_client_metadata', 'body_not_json'],
    [
      // Without the depth check this one was a 500: the key's members are kept and recursed over.
      'a jwks key nested thousands deep (issue #18: was a 500)',
      `{"redirect_uris":["${APP_REDIRECT}"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","z":${'['.repeat(30_000)}${']'.repeat(30_000)}}]}}`,
      'invalid_client_metadata',
      'body_too_deep',
    ],
    [
      'an unknown member nested thousands deep (dropped, but refused before parsing)',
      `{"redirect_uris":["${APP_REDIRECT}"],"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
      'invalid_client_metadata',
      'body_too_deep',
    ],
    [
      'JSON nested thousands deep and unterminated',
      `{"x":${'{"a":'.repeat(10_000)}`,
      'invalid_client_metadata',
      'body_too_deep',
    ],
    [
      'a key of an unknown type',
      {
        ...publicClient,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ kty: 'oct-pub', x: 'a' }] },
      },
      'invalid_client_metadata',
      'jwks_key_type',
    ],
    [
      'a signing algorithm without private_key_jwt',
      { ...publicClient, token_endpoint_auth_signing_alg: 'ES256' },
      'invalid_client_metadata',
      'signing_alg_without_private_key_jwt',
    ],
    [
      'jwks and jwks_uri (DCR-MD-8)',
      {
        ...publicClient,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://a.example/jwks',
        jwks: { keys: [] },
      },
      'invalid_client_metadata',
      'jwks_and_jwks_uri',
    ],
    [
      'private_key_jwt without keys',
      { ...publicClient, token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
      'jwks_required',
    ],
    [
      'private key material',
      {
        ...publicClient,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] },
      },
      'invalid_client_metadata',
      'jwks_private_key',
    ],
    [
      'inconsistent grant/response (DCR-MD-5)',
      { ...publicClient, response_types: [] },
      'invalid_client_metadata',
      'grant_response_mismatch',
    ],
    [
      'unsupported grant',
      { ...publicClient, grant_types: ['authorization_code', 'password'] },
      'invalid_client_metadata',
      'grant_type_unsupported',
    ],
  ];
  it('accepts loopback links only with registration.devLoopbackUris, and echoes only what it accepted', async () => {
    const links = {
      ...publicClient,
      logo_uri: 'http://localhost:3000/logo.png',
      policy_uri: 'https://127.0.0.1/p',
    };
    const production = await createTestServer();
    assert.equal((await production.register(links)).status, 400);
    assert.equal(production.lastOutcome()?.reason, 'uri_not_https');
    const dev = await createTestServer({ registration: { devLoopbackUris: true } });
    const response = await dev.register(links);
    assert.equal(response.status, 201);
    const body = (await response.json()) as Json;
    assert.equal(body.logo_uri, 'http://localhost:3000/logo.png');
    // Loopback only: a private address stays refused under the switch.
    assert.equal((await dev.register({ ...publicClient, client_uri: 'https://10.1.2.3/' })).status, 400);
    assert.equal(dev.lastOutcome()?.reason, 'uri_special_purpose_address');
  });

  it('accepts nesting up to the depth limit, and brackets inside strings do not count', async () => {
    const t = await createTestServer();
    const nested = (depth: number) => `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`;
    const body = (depth: number) =>
      `{"redirect_uris":["${APP_REDIRECT}"],"token_endpoint_auth_method":"none","x":${nested(depth)},"client_name":"${'[{'.repeat(100)}\\"["}`;
    assert.equal((await t.register(body(32))).status, 201);
    const refused = await t.register(body(33));
    assert.equal(refused.status, 400);
    assert.equal(t.lastOutcome()?.reason, 'body_too_deep');
  });

  for (const [name, body, code, reason] of refusals) {
    it(`refuses ${name} with ${code} (${reason})`, async () => {
      const t = await createTestServer();
      const response = await t.register(body);
      assert.equal(response.status, 400);
      assert.equal(await errorOf(response), code);
      assert.equal(t.lastOutcome()?.reason, reason);
      const audited = await t.store.audit.list({ type: 'client.registration_refused' });
      assert.deepEqual(
        audited.map((event) => event.reason),
        [reason],
      );
    });
  }

  it('never answers garbage with a 500 (DCR-EP-1)', async () => {
    const t = await createTestServer();
    for (const body of [
      '',
      'not json',
      '[]',
      'null',
      '"x"',
      '{"redirect_uris":',
      '{"redirect_uris":[1,2]}',
      '{"__proto__":{"x":1}}',
    ]) {
      const response = await t.register(body);
      assert.equal(response.status, 400, body);
      assert.match(await errorOf(response), /^invalid_(client_metadata|redirect_uri)$/);
    }
    const wrongType = await t.register(JSON.stringify(publicClient), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(wrongType.status, 400);
    assert.equal(await errorOf(wrongType), 'invalid_client_metadata');
    const huge = await t.register({ ...publicClient, client_name: 'x'.repeat(70 * 1024) });
    assert.equal(huge.status, 413);
    const get = await t.send(`${ISSUER}/register`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  it('accepts native clients with loopback and private-use redirects (MCP-7)', async () => {
    const t = await createTestServer();
    const response = await t.register({
      ...publicClient,
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback', 'com.example.app:/oauth'],
    });
    assert.equal(response.status, 201);
    assert.equal(((await response.json()) as Json).application_type, 'native');
  });
});
