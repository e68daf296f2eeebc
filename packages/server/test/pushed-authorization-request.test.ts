/**
 * Pushed Authorization Requests, RFC 9126: the endpoint (§2: client authentication, validation as
 * at the authorization endpoint, JSON errors, 201 with a short-lived request_uri), its use at the
 * authorization endpoint (§4: single use, expiry, the client_id must match), the require switches
 * (§5 server-wide, §6 per client) and the metadata (§5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { assertRefusal } from './support/refusal.ts';
import {
  APP_REDIRECT,
  basic,
  createTestServer,
  ISSUER,
  PASSWORD,
  SECRET,
  VERIFIER,
} from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{20,}$/;

function push(
  t: TestServer,
  overrides: Record<string, string | undefined> = {},
  headers: Record<string, string> = {},
) {
  return t.post('/par', t.authorizationParams(overrides), headers);
}

async function pushed(t: TestServer, overrides: Record<string, string | undefined> = {}, headers = {}) {
  const response = await push(t, overrides, headers);
  assert.equal(response.status, 201, await response.clone().text());
  const body = (await response.json()) as { request_uri: string; expires_in: number };
  return body.request_uri;
}

function authorizeUrl(requestUri: string, extra: Record<string, string> = {}, clientId = 'public-app') {
  const url = new URL(`${ISSUER}/authorize`);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
  return url.href;
}

async function expectJsonError(response: Response, status: number, error: string) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get('location'), null, 'RFC 9126 §2.3: never a redirect');
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = (await response.json()) as { error: string; error_description?: string };
  assert.equal(body.error, error);
  return body;
}

async function expectErrorPage(response: Response, text: RegExp) {
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('location'), null, 'must not redirect');
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await response.text(), text);
}

async function redeem(t: TestServer, callback: URL, clientHeaders: Record<string, string> = {}) {
  const response = await t.token(
    {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: APP_REDIRECT,
      code_verifier: VERIFIER,
      ...(clientHeaders.authorization === undefined ? { client_id: 'public-app' } : {}),
    },
    clientHeaders,
  );
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as { access_token: string; scope: string };
}

const login = { username: 'alice', password: PASSWORD };

describe('PAR endpoint (RFC 9126 §2)', async () => {
  const t = await createTestServer();

  it('answers 201 with a request_uri and expires_in, never cached', async () => {
    const response = await push(t);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['expires_in', 'request_uri']);
    assert.match(body.request_uri as string, REQUEST_URI);
    assert.equal(body.expires_in, 60);
  });

  it('issues a different request_uri every time', async () => {
    assert.notEqual(await pushed(t), await pushed(t));
  });

  it('authenticates confidential clients: no secret is 401 invalid_client', async () => {
    await expectJsonError(await push(t, { client_id: 'basic-app' }), 401, 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'auth_method_mismatch');
    await expectJsonError(
      await push(t, { client_id: 'basic-app' }, basic('basic-app', 'wrong-secret-wrong-secret-wrong-secret')),
      401,
      'invalid_client',
    );
    assert.equal(t.lastOutcome()?.reason, 'client_secret_mismatch');
    assert.match(await pushed(t, { client_id: 'basic-app' }, basic('basic-app', SECRET)), REQUEST_URI);
    assert.match(await pushed(t, { client_id: 'post-app', client_secret: SECRET }), REQUEST_URI);
  });

  it('refuses a client_id that differs from the authenticated client', async () => {
    const body = await expectJsonError(
      await push(t, { client_id: 'public-app' }, basic('basic-app', SECRET)),
      400,
      'invalid_request',
    );
    assert.equal(t.lastOutcome()?.reason, 'client_id_conflict');
    assert.match(body.error_description ?? '', /client_id/);
  });

  it('takes the client from authentication when the body omits client_id', async () => {
    assert.match(await pushed(t, { client_id: undefined }, basic('basic-app', SECRET)), REQUEST_URI);
  });

  it('refuses a request_uri inside a pushed request (§2.1)', async () => {
    const inner = await pushed(t);
    const body = await expectJsonError(await push(t, { request_uri: inner }), 400, 'invalid_request');
    assert.equal(t.lastOutcome()?.reason, 'par_request_uri');
    assert.match(body.error_description ?? '', /request_uri/);
  });

  // [name, parameters, error, description, reason]: the same reasons as the authorization endpoint.
  const invalid: [string, Record<string, string | undefined>, string, RegExp, string][] = [
    [
      'PKCE plain',
      { code_challenge: VERIFIER, code_challenge_method: 'plain' },
      'invalid_request',
      /S256/,
      'pkce_method_unsupported',
    ],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request', /code_challenge/, 'pkce_missing'],
    [
      'an unknown resource',
      { resource: 'https://unknown.example.test' },
      'invalid_target',
      /resource/,
      'resource_unknown',
    ],
    [
      'an unregistered redirect_uri',
      { redirect_uri: 'https://evil.example/callback' },
      'invalid_request',
      /redirect_uri/,
      'redirect_uri_mismatch',
    ],
    [
      'an unsupported response_type',
      { response_type: 'token' },
      'unsupported_response_type',
      /code/,
      'response_type_unsupported',
    ],
    ['an unknown scope', { scope: 'mcp:everything' }, 'invalid_scope', /scope/, 'scope_not_allowed'],
    [
      'no response_type',
      { response_type: undefined },
      'invalid_request',
      /response_type/,
      'response_type_missing',
    ],
  ];
  for (const [name, overrides, error, text, reason] of invalid) {
    it(`answers ${name} with ${error} as JSON, no redirect (§2.3)`, async () => {
      const body = await expectJsonError(await push(t, overrides), 400, error);
      assert.match(body.error_description ?? '', text);
      assert.equal(t.lastOutcome()?.reason, reason);
    });
  }

  it('is POST only', async () => {
    const response = await t.send(`${ISSUER}/par`);
    assert.equal(response.status, 405);
  });

  it('is published in the metadata (§5)', async () => {
    const metadata = (await (
      await t.send(`${ISSUER.replace(/\/?$/, '')}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    assert.equal(metadata.pushed_authorization_request_endpoint, `${ISSUER}/par`);
    assert.equal(metadata.require_pushed_authorization_requests, false);
  });
});

describe('PAR at the authorization endpoint (RFC 9126 §4)', async () => {
  const t = await createTestServer();

  it('runs the whole flow: push, authorize with request_uri, login, consent, code, token', async () => {
    const requestUri = await pushed(t, { scope: 'mcp:tools mcp:admin', state: 'pushed-state' });
    const callback = await authorizeInBrowser(t.userAgent(), authorizeUrl(requestUri), ISSUER, login);
    assert.equal(`${callback.origin}${callback.pathname}`, APP_REDIRECT);
    assert.equal(callback.searchParams.get('state'), 'pushed-state');
    assert.equal(callback.searchParams.get('iss'), ISSUER);
    const tokens = await redeem(t, callback);
    assert.equal(tokens.scope, 'mcp:tools mcp:admin');
  });

  it('works for a confidential client authenticated at PAR', async () => {
    const requestUri = await pushed(t, { client_id: 'basic-app' }, basic('basic-app', SECRET));
    const callback = await authorizeInBrowser(
      t.userAgent(),
      authorizeUrl(requestUri, {}, 'basic-app'),
      ISSUER,
      login,
    );
    await redeem(t, callback, basic('basic-app', SECRET));
  });

  it('uses only the pushed parameters; others sent alongside are ignored', async () => {
    const requestUri = await pushed(t);
    const callback = await authorizeInBrowser(
      t.userAgent(),
      authorizeUrl(requestUri, {
        redirect_uri: 'https://evil.example/callback',
        state: 'injected',
        scope: 'mcp:admin',
        code_challenge_method: 'plain',
      }),
      ISSUER,
      login,
    );
    assert.equal(`${callback.origin}${callback.pathname}`, APP_REDIRECT);
    assert.equal(callback.searchParams.get('state'), 'state-123');
    assert.equal((await redeem(t, callback)).scope, 'mcp:tools');
  });

  it('is single use: the second use ends on the error page', async () => {
    const requestUri = await pushed(t);
    const first = await t.send(authorizeUrl(requestUri));
    assert.equal(first.status, 303);
    assert.match(first.headers.get('location') ?? '', /\/interaction\//);
    await expectErrorPage(await t.send(authorizeUrl(requestUri)), /unknown, expired or was already used/);
    assert.equal(t.lastOutcome()?.reason, 'request_uri_unknown');
  });

  it('lets exactly one of two browsers racing for one request_uri proceed', async () => {
    const requestUri = await pushed(t);
    const responses = await Promise.all([
      t.send(authorizeUrl(requestUri)),
      t.send(authorizeUrl(requestUri)),
      t.send(authorizeUrl(requestUri)),
    ]);
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [303, 400, 400]);
  });

  it('expires after expires_in seconds', async () => {
    const requestUri = await pushed(t);
    t.advance(61_000);
    await expectErrorPage(await t.send(authorizeUrl(requestUri)), /unknown, expired or was already used/);
  });

  it('is still usable just before it expires', async () => {
    const requestUri = await pushed(t);
    t.advance(59_000);
    assert.equal((await t.send(authorizeUrl(requestUri))).status, 303);
  });

  it('belongs to the client that pushed it, and a wrong client_id does not burn it', async () => {
    const requestUri = await pushed(t);
    await expectErrorPage(
      await t.send(authorizeUrl(requestUri, {}, 'post-app')),
      /not pushed by this client/,
    );
    assert.equal(t.lastOutcome()?.reason, 'request_uri_client_mismatch');
    assert.equal((await t.send(authorizeUrl(requestUri))).status, 303);
  });

  it('needs the client_id beside the request_uri', async () => {
    const requestUri = await pushed(t);
    const url = new URL(authorizeUrl(requestUri));
    url.searchParams.delete('client_id');
    await expectErrorPage(await t.send(url.href), /client_id is required/);
    assert.equal(t.lastOutcome()?.reason, 'client_id_missing');
  });

  it('ends an unknown or foreign-format request_uri on the error page', async () => {
    await expectErrorPage(
      await t.send(authorizeUrl('urn:ietf:params:oauth:request_uri:nope')),
      /unknown, expired or was already used/,
    );
    await expectErrorPage(
      await t.send(authorizeUrl('https://client.example/request.jwt')),
      /unknown, expired or was already used/,
    );
  });

  it('does not let a pushed request be driven through the interaction pages directly', async () => {
    const requestUri = await pushed(t);
    const key = requestUri.slice('urn:ietf:params:oauth:request_uri:'.length);
    const ua = t.userAgent();
    // A binding cookie first, as any browser that visited the server would have.
    await ua.navigate(t.authorizationUrl(), () => true);
    for (const id of [key, `par:${key}`]) {
      const page = await ua.navigate(`${ISSUER}/interaction/${encodeURIComponent(id)}`, () => true);
      assert.ok('status' in page && page.status === 400, `interaction ${id} must be refused`);
    }
    // ...and it is still there for its rightful use.
    assert.equal((await t.send(authorizeUrl(requestUri))).status, 303);
  });

  it('answers prompt=none from a pushed request at the verified redirect_uri', async () => {
    const requestUri = await pushed(t, { prompt: 'none' });
    const response = await t.send(authorizeUrl(requestUri));
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, APP_REDIRECT);
    assert.equal(location.searchParams.get('error'), 'login_required');
    assert.equal(location.searchParams.get('state'), 'state-123');
  });
});

describe('requiring PAR (RFC 9126 §5, §6)', () => {
  it('refuses direct requests from a client whose metadata requires PAR, with an error at its redirect_uri', async () => {
    const t = await createTestServer();
    await t.addClient({
      client_id: 'par-only',
      redirect_uris: [APP_REDIRECT],
      token_endpoint_auth_method: 'none',
      require_pushed_authorization_requests: true,
    });
    const direct = await t.send(t.authorizationUrl({ client_id: 'par-only' }));
    assert.equal(direct.status, 303);
    assert.equal(t.lastOutcome()?.reason, 'par_required');
    const location = new URL(direct.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, APP_REDIRECT);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.equal(location.searchParams.get('iss'), ISSUER);
    assert.equal(location.searchParams.get('code'), null);
    // Other clients are unaffected, and the PAR-only client gets through PAR.
    assert.ok((await t.authorize()).searchParams.get('code'));
    const requestUri = await pushed(t, { client_id: 'par-only' });
    const callback = await authorizeInBrowser(
      t.userAgent(),
      authorizeUrl(requestUri, {}, 'par-only'),
      ISSUER,
      login,
    );
    assert.ok(callback.searchParams.get('code'));
  });

  it('refuses every direct request when required server-wide, and says so in the metadata', async () => {
    const t = await createTestServer({ par: { required: true } });
    const metadata = (await (
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    assert.equal(metadata.require_pushed_authorization_requests, true);
    const direct = await t.send(t.authorizationUrl());
    // RFC 9126 §5: refused because it was not pushed (AT-6), not for any other invalid_request.
    await assertRefusal(t, direct, { status: 303, error: 'invalid_request', reason: 'par_required' });
    // An unverifiable redirect_uri still ends on our page, never at the client.
    await expectErrorPage(
      await t.send(t.authorizationUrl({ redirect_uri: 'https://evil.example/cb' })),
      /not registered/,
    );
    const callback = await authorizeInBrowser(t.userAgent(), authorizeUrl(await pushed(t)), ISSUER, login);
    await redeem(t, callback);
  });

  it('honours a configured request_uri lifetime', async () => {
    const t = await createTestServer({ lifetimes: { pushedRequestSeconds: 10 } });
    const response = await push(t);
    const body = (await response.json()) as { request_uri: string; expires_in: number };
    assert.equal(body.expires_in, 10);
    t.advance(11_000);
    await expectErrorPage(await t.send(authorizeUrl(body.request_uri)), /expired/);
  });
});
