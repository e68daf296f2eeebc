/** RFC 7591 registration endpoint (DCR-EP-*, DCR-ERR-*, DCR-MD-*, DCR-SEC-1), policies and limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { digest } from '../src/crypto/digest.ts';
import { APP_REDIRECT, basic, createTestServer, ISSUER } from './support/test-server.ts';

type Json = Record<string, unknown>;
const publicClient = {
  redirect_uris: [APP_REDIRECT],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  client_name: 'Test client',
};

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

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

describe('initial access token policy (DCR-EP-3, DCR-ERR-3)', () => {
  async function withToken(maxUses?: number, scope?: string) {
    const t = await createTestServer({ registration: { policy: 'initial_access_token' } });
    await t.store.initialAccessTokens.create({
      id: 'iat-1',
      digest: digest('the-initial-access-token'),
      createdAt: t.now(),
      uses: 0,
      ...(maxUses === undefined ? {} : { maxUses }),
      ...(scope === undefined ? {} : { scope }),
    });
    return t;
  }
  const bearer = { authorization: 'Bearer the-initial-access-token' };

  it('refuses a missing or wrong token with 401 invalid_token and a Bearer challenge', async () => {
    const t = await withToken();
    const missing = await t.register(publicClient);
    assert.equal(missing.status, 401);
    assert.equal(await errorOf(missing), 'invalid_token');
    assert.equal(t.lastOutcome()?.reason, 'token_missing');
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await t.register(publicClient, { authorization: 'Bearer wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'initial_access_token_invalid');
    const malformed = await t.register(publicClient, { authorization: 'Bearer two words' });
    assert.equal(malformed.status, 401);
    assert.equal(await errorOf(malformed), 'invalid_token');
    assert.equal(t.lastOutcome()?.reason, 'bearer_malformed');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    const ok = await t.register(publicClient, { authorization: 'Bearer the-initial-access-token' });
    assert.equal(ok.status, 201);
    const record = await t.store.clients.get(((await ok.json()) as Json).client_id as string);
    assert.equal(record?.registration?.initialAccessTokenId, 'iat-1');
  });

  it('counts uses atomically: concurrent registrations never exceed maxUses', async () => {
    const t = await withToken(3);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.register(
          { ...publicClient, client_name: `c${i}` },
          { authorization: 'Bearer the-initial-access-token' },
          {
            remoteAddress: `192.0.2.${i + 10}`,
          },
        ),
      ),
    );
    assert.equal(responses.filter((r) => r.status === 201).length, 3);
    assert.equal(responses.filter((r) => r.status === 401).length, 7);
  });

  it('does not spend a use on an invalid body', async () => {
    const t = await withToken(1);
    const bad = await t.register(
      { redirect_uris: ['http://x.example/cb'] },
      { authorization: 'Bearer the-initial-access-token' },
    );
    assert.equal(bad.status, 400);
    const good = await t.register(publicClient, { authorization: 'Bearer the-initial-access-token' });
    assert.equal(good.status, 201);
  });

  it('a token scope limit: within it registers as asked, none asked registers the limit (DCR-EP-4)', async () => {
    const t = await withToken(undefined, 'mcp:tools api:read');
    const within = (await (await t.register({ ...publicClient, scope: 'mcp:tools' }, bearer)).json()) as Json;
    assert.equal(within.scope, 'mcp:tools');
    const unnamed = (await (await t.register(publicClient, bearer)).json()) as Json;
    assert.equal(unnamed.scope, 'mcp:tools api:read');
    assert.equal(
      (await t.store.clients.get(unnamed.client_id as string))?.metadata.scope,
      'mcp:tools api:read',
    );
    // Unlimited tokens leave scope alone: no scope asked, none registered.
    await t.store.initialAccessTokens.create({
      id: 'iat-2',
      digest: digest('unlimited'),
      createdAt: t.now(),
      uses: 0,
    });
    const free = (await (
      await t.register(publicClient, { authorization: 'Bearer unlimited' })
    ).json()) as Json;
    assert.equal('scope' in free, false);
  });

  it('refuses a scope beyond the token limit with invalid_client_metadata, spending no use', async () => {
    const t = await withToken(1, 'mcp:tools');
    const wider = await t.register({ ...publicClient, scope: 'mcp:tools mcp:admin' }, bearer);
    assert.equal(wider.status, 400);
    const body = (await wider.json()) as Json;
    assert.equal(body.error, 'invalid_client_metadata');
    assert.match(String(body.error_description), /mcp:admin/);
    const [refused] = await t.store.audit.list({ type: 'client.registration_refused' });
    assert.equal(refused?.reason, 'scope_exceeds_initial_access_token');
    assert.equal((await t.store.initialAccessTokens.list())[0]?.uses, 0);
    // The one use is still there for an acceptable request (DCR-SEC-4).
    assert.equal((await t.register(publicClient, bearer)).status, 201);
  });

  it('a wrong token with an out-of-limit scope is still a 401, not a scope error', async () => {
    const t = await withToken(undefined, 'mcp:tools');
    const response = await t.register(
      { ...publicClient, scope: 'mcp:admin' },
      { authorization: 'Bearer wrong' },
    );
    assert.equal(response.status, 401);
  });

  it('the limited client cannot obtain a scope outside the limit at the authorization endpoint', async () => {
    const t = await withToken(undefined, 'mcp:tools');
    const client = (await (await t.register(publicClient, bearer)).json()) as Json;
    const clientId = client.client_id as string;
    const allowed = await t.authorize({ client_id: clientId, scope: 'mcp:tools' });
    assert.ok(allowed.searchParams.get('code'), allowed.href);
    const beyond = await t.send(t.authorizationUrl({ client_id: clientId, scope: 'mcp:admin' }));
    const location = new URL(beyond.headers.get('location') ?? '', ISSUER);
    assert.equal(location.searchParams.get('error'), 'invalid_scope', location.href);
  });
});

describe('software statements (DCR-MD-11, DCR-EP-10)', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256' };
  const issuers = [{ iss: 'https://publisher.example', jwks: { keys: [jwk] } }];
  const sign = (claims: Json, key = privateKey, iss = 'https://publisher.example') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(iss).setIssuedAt().sign(key);

  it('its claims take precedence, are returned top-level, and the statement is echoed unchanged', async () => {
    const t = await createTestServer({
      registration: { policy: 'software_statement', softwareStatementIssuers: issuers },
    });
    const statement = await sign({
      software_id: 'stmt-app',
      client_name: 'From statement',
      redirect_uris: [APP_REDIRECT],
    });
    const response = await t.register({
      software_statement: statement,
      client_name: 'From JSON',
      redirect_uris: ['https://evil.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(response.status, 201);
    const body = (await response.json()) as Json;
    assert.equal(body.client_name, 'From statement');
    assert.deepEqual(body.redirect_uris, [APP_REDIRECT]);
    assert.equal(body.software_id, 'stmt-app');
    assert.equal(body.software_statement, statement);
  });

  it('refuses a missing, malformed or badly signed statement with invalid_software_statement', async () => {
    const t = await createTestServer({
      registration: { policy: 'software_statement', softwareStatementIssuers: issuers },
    });
    const hmac = await new SignJWT({ redirect_uris: [APP_REDIRECT] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://publisher.example')
      .sign(new TextEncoder().encode('a-shared-secret-a-shared-secret!'));
    const noIssuer = await new SignJWT({ redirect_uris: [APP_REDIRECT] })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
    // RFC 7591 §2.3, §3.2.2: each for its own cause.
    const cases: { software_statement: string | undefined; reason: string }[] = [
      { software_statement: undefined, reason: 'statement_required' },
      { software_statement: 'not.a.jwt', reason: 'statement_malformed' },
      { software_statement: hmac, reason: 'statement_alg' },
      { software_statement: noIssuer, reason: 'statement_iss_missing' },
      {
        software_statement: await sign({ redirect_uris: [APP_REDIRECT] }, other.privateKey),
        reason: 'statement_signature',
      },
    ];
    for (const { software_statement, reason } of cases) {
      const response = await t.register({
        ...publicClient,
        ...(software_statement === undefined ? {} : { software_statement }),
      });
      assert.equal(response.status, 400);
      assert.equal(await errorOf(response), 'invalid_software_statement');
      assert.equal(t.lastOutcome()?.reason, reason);
    }
    const expired = await new SignJWT({ redirect_uris: [APP_REDIRECT] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://publisher.example')
      .setExpirationTime(Math.floor(t.now() / 1000) - 3600)
      .sign(privateKey);
    assert.equal(
      await errorOf(await t.register({ ...publicClient, software_statement: expired })),
      'invalid_software_statement',
    );
    assert.equal(t.lastOutcome()?.reason, 'statement_signature');
  });

  it('refuses a valid statement from an untrusted issuer with unapproved_software_statement', async () => {
    const t = await createTestServer({
      registration: { policy: 'software_statement', softwareStatementIssuers: issuers },
    });
    const statement = await sign(
      { redirect_uris: [APP_REDIRECT] },
      other.privateKey,
      'https://stranger.example',
    );
    const response = await t.register({ ...publicClient, software_statement: statement });
    assert.equal(response.status, 400);
    assert.equal(await errorOf(response), 'unapproved_software_statement');
    assert.equal(t.lastOutcome()?.reason, 'statement_issuer_untrusted');
  });

  it('refuses to start with a software_statement policy and no issuers', async () => {
    await assert.rejects(
      createTestServer({ registration: { policy: 'software_statement' } }),
      /softwareStatementIssuers/,
    );
  });
});

describe('re-registration recognition (issue #4)', () => {
  const native = {
    ...publicClient,
    software_id: 'desktop-app',
    redirect_uris: ['http://127.0.0.1/callback'],
  };

  it('answers the same public software with the same client_id and a new token; storage does not grow', async () => {
    const t = await createTestServer();
    const first = (await (await t.register(native)).json()) as Json;
    const second = (await (await t.register(native)).json()) as Json;
    assert.equal(second.client_id, first.client_id);
    assert.notEqual(second.registration_access_token, first.registration_access_token);
    assert.equal((await t.store.clients.list()).filter((c) => c.kind === 'dcr').length, 1);
    // The old token is rotated away.
    const old = await t.manage(
      first.registration_client_uri as string,
      'GET',
      first.registration_access_token as string,
    );
    assert.equal(old.status, 401);
    assert.equal((await t.store.audit.list({ type: 'client.re_registration_recognised' })).length, 1);
  });

  it('never recognises confidential clients, other metadata, or when switched off', async () => {
    const t = await createTestServer();
    const a = (await (
      await t.register({ ...native, token_endpoint_auth_method: 'client_secret_basic' })
    ).json()) as Json;
    const b = (await (
      await t.register({ ...native, token_endpoint_auth_method: 'client_secret_basic' })
    ).json()) as Json;
    assert.notEqual(a.client_id, b.client_id);
    const c = (await (await t.register(native)).json()) as Json;
    const d = (await (await t.register({ ...native, client_name: 'Other' })).json()) as Json;
    assert.notEqual(c.client_id, d.client_id);
    const off = await createTestServer({ registration: { recogniseReRegistration: false } });
    const e = (await (await off.register(native)).json()) as Json;
    const f = (await (await off.register(native)).json()) as Json;
    assert.notEqual(e.client_id, f.client_id);
  });
});

describe('registration rate limits', () => {
  it('refuses with 429, Retry-After and a JSON error, per IP', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { perIp: { limit: 2, windowSeconds: 60 } } },
    });
    assert.equal((await t.register(publicClient)).status, 201);
    assert.equal((await t.register(publicClient)).status, 201);
    const limited = await t.register(publicClient);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(await errorOf(limited), 'temporarily_unavailable');
    assert.equal((await t.register(publicClient, {}, { remoteAddress: '198.51.100.7' })).status, 201);
    t.advance(60_000);
    assert.equal((await t.register(publicClient)).status, 201);
  });

  it('keys an IPv6 source by its /64 and an IPv4-mapped one by its IPv4 address (issue #18)', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { perIp: { limit: 2, windowSeconds: 60 } } },
    });
    const from = (remoteAddress: string) => t.register(publicClient, {}, { remoteAddress });
    assert.equal((await from('2001:db8:1:2::1')).status, 201);
    // Another spelling and another interface id in the same /64: the same bucket.
    assert.equal((await from('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).status, 201);
    assert.equal((await from('2001:db8:1:2:ffff:ffff:ffff:ffff')).status, 429);
    // The next /64 is another source.
    assert.equal((await from('2001:db8:1:3::1')).status, 201);
    // An IPv4 peer seen through a dual-stack socket shares the IPv4 address's bucket.
    assert.equal((await from('198.51.100.30')).status, 201);
    assert.equal((await from('::ffff:198.51.100.30')).status, 201);
    assert.equal((await from('::ffff:c633:641e')).status, 429);
    const events = await t.store.audit.list({ type: 'client.registration_rate_limited' });
    assert.deepEqual(events.map((e) => e.detail?.key).sort(), ['198.51.100.30', '2001:db8:1:2::/64']);
  });

  it('holds a global ceiling over all sources together (issue #18)', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { global: { limit: 3, windowSeconds: 60 } } },
    });
    const ip = (n: number) => ({ remoteAddress: `203.0.113.${n}` });
    for (let n = 1; n <= 3; n++) assert.equal((await t.register(publicClient, {}, ip(n))).status, 201);
    const limited = await t.register(publicClient, {}, ip(4));
    assert.equal(limited.status, 429);
    assert.equal(await errorOf(limited), 'temporarily_unavailable');
    // An embedder that passes no address is under the ceiling too.
    assert.equal((await t.register(publicClient, {}, {})).status, 429);
    const [event] = await t.store.audit.list({ type: 'client.registration_rate_limited' });
    assert.equal(event?.detail?.key_kind, 'global');
    t.advance(20_000);
    assert.equal((await t.register(publicClient, {}, ip(5))).status, 201);
  });

  it('does not let a source refused by its own limit spend the global ceiling', async () => {
    const t = await createTestServer({
      registration: {
        rateLimits: { perIp: { limit: 1, windowSeconds: 60 }, global: { limit: 2, windowSeconds: 60 } },
      },
    });
    const flood = { remoteAddress: '198.51.100.9' };
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    for (let i = 0; i < 10; i++) assert.equal((await t.register(publicClient, {}, flood)).status, 429);
    assert.equal((await t.register(publicClient, {}, { remoteAddress: '198.51.100.10' })).status, 201);
  });

  it('keys by software_id and redirect host, whatever the source address', async () => {
    const t = await createTestServer({
      registration: {
        rateLimits: {
          perSoftware: { limit: 1, windowSeconds: 60 },
          perRedirectHost: { limit: 2, windowSeconds: 60 },
        },
        recogniseReRegistration: false,
      },
    });
    const ip = (n: number) => ({ remoteAddress: `203.0.113.${n}` });
    assert.equal((await t.register({ ...publicClient, software_id: 's1' }, {}, ip(1))).status, 201);
    assert.equal((await t.register({ ...publicClient, software_id: 's1' }, {}, ip(2))).status, 429);
    // The redirect host app.example.test has now been charged twice (the 429 counted too).
    assert.equal((await t.register(publicClient, {}, ip(3))).status, 429);
    assert.equal(
      (await t.register({ ...publicClient, redirect_uris: ['http://127.0.0.1/cb'] }, {}, ip(4))).status,
      201,
    );
    // Each refused key is audited once: software s1 and the redirect host.
    const events = await t.store.audit.list({ type: 'client.registration_rate_limited' });
    assert.deepEqual(events.map((e) => `${String(e.detail?.key_kind)}:${String(e.detail?.key)}`).sort(), [
      'redirect_host:app.example.test',
      'software:s1',
    ]);
  });

  it('audits a flood once per key and window (issue #4: every refusal, bounded)', async () => {
    const t = await createTestServer({
      registration: { rateLimits: { perIp: { limit: 2, windowSeconds: 60 } } },
    });
    const flood = { remoteAddress: '198.51.100.9' };
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    for (let i = 0; i < 100; i++) {
      assert.equal((await t.register(publicClient, {}, flood)).status, 429);
    }
    const events = () => t.store.audit.list({ type: 'client.registration_rate_limited' });
    const [first, ...others] = await events();
    assert.equal(others.length, 0, 'one event for 100 refusals');
    assert.equal(first?.reason, 'rate_limited');
    // The address is kept: the audit log is an operator log (docs/decisions/0009-dcr.md §9).
    assert.deepEqual(first?.detail, {
      key_kind: 'ip',
      key: '198.51.100.9',
      retry_after: 30,
      remote_address: '198.51.100.9',
    });
    // Rate-limit refusals never become registration_refused events (that one is per request).
    assert.equal((await t.store.audit.list({ type: 'client.registration_refused' })).length, 0);

    // After the window the key has recovered; refused again, it gets a second event, which
    // reports how many refusals the first window suppressed.
    t.advance(60_000);
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    assert.equal((await t.register(publicClient, {}, flood)).status, 201);
    assert.equal((await t.register(publicClient, {}, flood)).status, 429);
    const after = await events();
    assert.equal(after.length, 2);
    assert.equal(after[0]?.detail?.previous_window_suppressed, 99);
    // Another address is another key.
    const other = { remoteAddress: '198.51.100.10' };
    for (let i = 0; i < 3; i++) await t.register(publicClient, {}, other);
    assert.equal((await events()).length, 3);
  });
});
