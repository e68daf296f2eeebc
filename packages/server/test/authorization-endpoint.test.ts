/**
 * The authorization endpoint's MUSTs: RFC 6749 §3.1/§4.1.2.1, OAuth 2.1 §4.1.1, RFC 7636, RFC 8707,
 * RFC 9207, RFC 9700 §4.1 (open redirects), and the CIMD-REDIR-1/2 and MCP-13/14 rules. Errors
 * before the redirect_uri is verified end on the server's page; after it, at the client with `iss`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import {
  APP_REDIRECT,
  createTestServer,
  ISSUER,
  LOOPBACK_REDIRECT,
  OTHER_RESOURCE,
  RESOURCE,
} from './support/test-server.ts';

async function expectErrorPage(response: Response, reasonText: RegExp) {
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('location'), null, 'must not redirect');
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  const html = await response.text();
  assert.match(html, reasonText);
  assert.doesNotMatch(html, /at \w+ \(|node:internal/, 'no stack trace');
}

function expectErrorRedirect(response: Response, error: string) {
  assert.equal(response.status, 303);
  const location = new URL(response.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, APP_REDIRECT);
  assert.equal(location.searchParams.get('error'), error);
  assert.equal(location.searchParams.get('state'), 'state-123');
  assert.equal(location.searchParams.get('iss'), ISSUER, 'RFC 9207: iss on error responses too');
  return location;
}

describe('authorization endpoint: errors that must not redirect', async () => {
  const t = await createTestServer();
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['missing client_id', { client_id: undefined }, /client_id is required/],
    ['unknown client', { client_id: 'nobody' }, /unknown client_id/],
    [
      'unregistered redirect_uri',
      { redirect_uri: 'https://evil.example/callback' },
      /redirect_uri is not registered/,
    ],
    ['redirect_uri with a trailing slash', { redirect_uri: `${APP_REDIRECT}/` }, /not registered/],
    ['redirect_uri with an extra query', { redirect_uri: `${APP_REDIRECT}?x=1` }, /not registered/],
    ['redirect_uri with a different case', { redirect_uri: APP_REDIRECT.toUpperCase() }, /not registered/],
    [
      'redirect_uri with an explicit default port',
      { redirect_uri: 'https://app.example.test:443/callback' },
      /not registered/,
    ],
    [
      'https redirect_uri on another port',
      { redirect_uri: 'https://app.example.test:8443/callback' },
      /not registered/,
    ],
    [
      'loopback redirect with another path',
      { redirect_uri: 'http://127.0.0.1:5000/other' },
      /not registered/,
    ],
    [
      'loopback redirect on another loopback host',
      { redirect_uri: 'http://localhost:5000/callback' },
      /not registered/,
    ],
    ['redirect_uri missing with two registered', { redirect_uri: undefined }, /redirect_uri is required/],
  ];
  for (const [name, params, text] of cases) {
    it(`${name} ends on the error page`, async () => {
      await expectErrorPage(await t.send(t.authorizationUrl(params)), text);
    });
  }
  it('a duplicated parameter ends on the error page', async () => {
    const url = `${t.authorizationUrl()}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    await expectErrorPage(await t.send(url), /included more than once/);
  });
  it('an oversized parameter ends on the error page', async () => {
    await expectErrorPage(await t.send(t.authorizationUrl({ state: 'x'.repeat(5000) })), /too long/);
  });
});

describe('authorization endpoint: errors redirected to the verified redirect_uri with iss', async () => {
  const t = await createTestServer();
  const cases: [string, Record<string, string | undefined>, string][] = [
    ['missing response_type', { response_type: undefined }, 'invalid_request'],
    [
      'response_type=token (implicit is gone in OAuth 2.1)',
      { response_type: 'token' },
      'unsupported_response_type',
    ],
    ['missing code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    [
      'code_challenge_method absent (defaults to plain)',
      { code_challenge_method: undefined },
      'invalid_request',
    ],
    ['malformed code_challenge', { code_challenge: 'short' }, 'invalid_request'],
    ['unknown resource', { resource: 'https://elsewhere.example/api' }, 'invalid_target'],
    ['resource with a fragment', { resource: `${RESOURCE}#frag` }, 'invalid_target'],
    ['relative resource', { resource: '/mcp' }, 'invalid_target'],
    ['missing resource with no default configured', { resource: undefined }, 'invalid_target'],
    ['scope the resource does not offer', { scope: 'api:read' }, 'invalid_scope'],
    ['unknown scope', { scope: 'mcp:tools root' }, 'invalid_scope'],
    ['response_mode fragment', { response_mode: 'fragment' }, 'invalid_request'],
    ['request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request'],
    ['unsupported prompt', { prompt: 'create' }, 'invalid_request'],
    ['prompt=none without a session', { prompt: 'none' }, 'login_required'],
  ];
  for (const [name, params, error] of cases) {
    it(`${name} → ${error}`, async () => {
      expectErrorRedirect(await t.send(t.authorizationUrl(params)), error);
    });
  }
  it('the same errors are answered for POST requests (RFC 6749 §3.1)', async () => {
    const url = new URL(t.authorizationUrl({ code_challenge_method: 'plain' }));
    const response = await t.send(`${ISSUER}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: url.searchParams.toString(),
    });
    expectErrorRedirect(response, 'invalid_request');
  });
});

describe('authorization endpoint: the happy paths', async () => {
  it('issues a code with state and iss after login and consent', async () => {
    const t = await createTestServer();
    const callback = await t.authorize();
    assert.equal(`${callback.origin}${callback.pathname}`, APP_REDIRECT);
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('state'), 'state-123');
    assert.equal(callback.searchParams.get('iss'), ISSUER);
  });

  it('accepts any port for a registered http loopback redirect (RFC 8252 §7.3, CIMD-REDIR-2)', async () => {
    const t = await createTestServer();
    const redirect = 'http://127.0.0.1:61234/callback';
    const callback = await t.authorize({ redirect_uri: redirect });
    assert.equal(`${callback.origin}${callback.pathname}`, redirect);
    assert.ok(LOOPBACK_REDIRECT.startsWith('http://127.0.0.1/'));
  });

  it('uses the default resource and its default scopes when a request names neither', async () => {
    const t = await createTestServer({ defaultResource: RESOURCE });
    const tokens = await t.tokensFor({ resource: undefined, scope: undefined });
    assert.equal(tokens.scope, 'mcp:tools');
    const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    assert.equal(payload.aud, RESOURCE);
  });

  it('names several resources as several audiences', async () => {
    const t = await createTestServer();
    const url = new URL(t.authorizationUrl({ scope: 'mcp:tools api:read' }));
    url.searchParams.append('resource', OTHER_RESOURCE);
    const callback = await (await import('../../../test/support/authorize-in-browser.ts')).authorizeInBrowser(
      t.userAgent(),
      url,
      ISSUER,
      { username: 'alice', password: 'correct horse battery staple' },
    );
    const response = await t.token({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: APP_REDIRECT,
      client_id: 'public-app',
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy',
    });
    const body = (await response.json()) as { access_token: string };
    const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(payload.aud, [RESOURCE, OTHER_RESOURCE]);
  });

  it('answers prompt=none with a code once consent exists, and consent_required before', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const denied = await ua.navigate(t.authorizationUrl({ prompt: 'none' }), (l) => !l.startsWith(ISSUER));
    assert.ok(!isPage(denied));
    assert.equal(new URL(denied.redirectedTo).searchParams.get('error'), 'login_required');
    await t.authorize({}, ua);
    const silent = await ua.navigate(t.authorizationUrl({ prompt: 'none' }), (l) => !l.startsWith(ISSUER));
    assert.ok(!isPage(silent));
    assert.ok(new URL(silent.redirectedTo).searchParams.get('code'));
    const wider = await ua.navigate(
      t.authorizationUrl({ prompt: 'none', scope: 'mcp:tools mcp:admin' }),
      (l) => !l.startsWith(ISSUER),
    );
    assert.ok(!isPage(wider));
    assert.equal(new URL(wider.redirectedTo).searchParams.get('error'), 'consent_required');
  });

  it('sends access_denied with iss when the user denies', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const { authorizeInBrowser } = await import('../../../test/support/authorize-in-browser.ts');
    const callback = await authorizeInBrowser(
      ua,
      t.authorizationUrl(),
      ISSUER,
      { username: 'alice', password: 'correct horse battery staple' },
      'deny',
    );
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('iss'), ISSUER);
    assert.equal(callback.searchParams.get('code'), null);
  });
});
