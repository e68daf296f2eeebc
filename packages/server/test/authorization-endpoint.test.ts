/**
 * The authorization endpoint's MUSTs: RFC 6749 §3.1/§4.1.2.1, OAuth 2.1 §4.1.1, RFC 7636, RFC 8707,
 * RFC 9207, RFC 9700 §4.1 (open redirects), and the CIMD-REDIR-1/2 and MCP-13/14 rules. Errors
 * before the redirect_uri is verified end on the server's page; after it, at the client with `iss`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import { assertRefusal } from './support/refusal.ts';
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
  // [name, parameters, page text, reason]: the reason proves the page is shown for that cause.
  const cases: [string, Record<string, string | undefined>, RegExp, string][] = [
    ['missing client_id', { client_id: undefined }, /client_id is required/, 'client_id_missing'],
    ['unknown client', { client_id: 'nobody' }, /unknown client_id/, 'client_unknown'],
    [
      'unregistered redirect_uri',
      { redirect_uri: 'https://evil.example/callback' },
      /redirect_uri is not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'redirect_uri with a trailing slash',
      { redirect_uri: `${APP_REDIRECT}/` },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'redirect_uri with an extra query',
      { redirect_uri: `${APP_REDIRECT}?x=1` },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'redirect_uri with a different case',
      { redirect_uri: APP_REDIRECT.toUpperCase() },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'redirect_uri with an explicit default port',
      { redirect_uri: 'https://app.example.test:443/callback' },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'https redirect_uri on another port',
      { redirect_uri: 'https://app.example.test:8443/callback' },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'loopback redirect with another path',
      { redirect_uri: 'http://127.0.0.1:5000/other' },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'loopback redirect on another loopback host',
      { redirect_uri: 'http://localhost:5000/callback' },
      /not registered/,
      'redirect_uri_mismatch',
    ],
    [
      'redirect_uri missing with two registered',
      { redirect_uri: undefined },
      /redirect_uri is required/,
      'redirect_uri_missing',
    ],
  ];
  for (const [name, params, text, reason] of cases) {
    it(`${name} ends on the error page (${reason})`, async () => {
      const response = await t.send(t.authorizationUrl(params));
      const error = reason === 'client_unknown' ? 'invalid_client' : 'invalid_request';
      await expectErrorPage(response.clone(), text);
      await assertRefusal(t, response, { status: 400, error, reason });
    });
  }
  it('a duplicated parameter ends on the error page', async () => {
    const url = `${t.authorizationUrl()}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    const response = await t.send(url);
    await expectErrorPage(response.clone(), /included more than once/);
    await assertRefusal(t, response, {
      status: 400,
      error: 'invalid_request',
      reason: 'duplicate_parameter',
    });
  });
  it('an oversized parameter ends on the error page', async () => {
    const response = await t.send(t.authorizationUrl({ state: 'x'.repeat(5000) }));
    await expectErrorPage(response.clone(), /too long/);
    await assertRefusal(t, response, { status: 400, error: 'invalid_request', reason: 'parameter_too_long' });
  });
  it('too many parameters end on the error page', async () => {
    const extra = Array.from({ length: 200 }, (_, i) => `x${i}=1`).join('&');
    const response = await t.send(`${t.authorizationUrl()}&${extra}`);
    await assertRefusal(t, response, {
      status: 400,
      error: 'invalid_request',
      reason: 'too_many_parameters',
    });
  });
});

describe('authorization endpoint: errors redirected to the verified redirect_uri with iss', async () => {
  const t = await createTestServer();
  // [name, parameters, error, reason]: the error alone could come from another check.
  const cases: [string, Record<string, string | undefined>, string, string][] = [
    ['missing response_type', { response_type: undefined }, 'invalid_request', 'response_type_missing'],
    [
      'response_type=token (implicit is gone in OAuth 2.1)',
      { response_type: 'token' },
      'unsupported_response_type',
      'response_type_unsupported',
    ],
    // RFC 7636 §4.4.1 / OAuth 2.1 §4.1.1: PKCE with S256 is required.
    ['missing code_challenge', { code_challenge: undefined }, 'invalid_request', 'pkce_missing'],
    [
      'code_challenge_method plain',
      { code_challenge_method: 'plain' },
      'invalid_request',
      'pkce_method_unsupported',
    ],
    [
      'code_challenge_method absent (defaults to plain)',
      { code_challenge_method: undefined },
      'invalid_request',
      'pkce_method_unsupported',
    ],
    ['malformed code_challenge', { code_challenge: 'short' }, 'invalid_request', 'pkce_challenge_malformed'],
    // RFC 8707 §2, MCP-9.
    ['unknown resource', { resource: 'https://elsewhere.example/api' }, 'invalid_target', 'resource_unknown'],
    ['resource with a fragment', { resource: `${RESOURCE}#frag` }, 'invalid_target', 'resource_malformed'],
    ['relative resource', { resource: '/mcp' }, 'invalid_target', 'resource_malformed'],
    [
      'missing resource with no default configured',
      { resource: undefined },
      'invalid_target',
      'resource_missing',
    ],
    ['scope the resource does not offer', { scope: 'api:read' }, 'invalid_scope', 'scope_not_allowed'],
    ['unknown scope', { scope: 'mcp:tools root' }, 'invalid_scope', 'scope_not_allowed'],
    ['malformed scope', { scope: 'mcp:tools "quoted"' }, 'invalid_scope', 'scope_malformed'],
    ['response_mode fragment', { response_mode: 'fragment' }, 'invalid_request', 'response_mode_unsupported'],
    [
      'request object',
      { request: 'eyJhbGciOiJub25lIn0.e30.' },
      'invalid_request',
      'request_object_unsupported',
    ],
    ['unsupported prompt', { prompt: 'create' }, 'invalid_request', 'prompt_unsupported'],
    ['prompt=none with another value', { prompt: 'none login' }, 'invalid_request', 'prompt_none_combined'],
    ['negative max_age', { max_age: '-1' }, 'invalid_request', 'max_age_malformed'],
    // RFC 9449 §10: dpop_jkt is a JWK SHA-256 thumbprint.
    ['malformed dpop_jkt', { dpop_jkt: 'not-a-thumbprint' }, 'invalid_request', 'dpop_jkt_malformed'],
    ['prompt=none without a session', { prompt: 'none' }, 'login_required', 'login_required'],
  ];
  for (const [name, params, error, reason] of cases) {
    it(`${name} → ${error} (${reason})`, async () => {
      const response = await t.send(t.authorizationUrl(params));
      expectErrorRedirect(response, error);
      await assertRefusal(t, response, { status: 303, error, reason });
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
    await assertRefusal(t, response, {
      status: 303,
      error: 'invalid_request',
      reason: 'pkce_method_unsupported',
    });
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

  it('answers a signed-in browser that already allowed everything with a code at once, no page (issue #18)', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({}, ua);
    const url = t.authorizationUrl({ state: 'again' });
    // The first hop: straight back to the client, not to the interaction page.
    const hop = await ua.navigate(url, () => true);
    assert.ok(!isPage(hop));
    const back = new URL(hop.redirectedTo);
    assert.equal(`${back.origin}${back.pathname}`, APP_REDIRECT);
    assert.equal(back.searchParams.get('state'), 'again');
    assert.equal(back.searchParams.get('iss'), ISSUER); // RFC 9207
    const response = await t.token(t.redeemParams(back));
    assert.equal(response.status, 200);
  });

  it('still shows the pages for prompt=consent, prompt=login and a scope not yet allowed', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({}, ua);
    for (const params of [{ prompt: 'consent' }, { prompt: 'login' }, { scope: 'mcp:tools mcp:admin' }]) {
      const hop = await ua.navigate(t.authorizationUrl(params), () => true);
      assert.ok(!isPage(hop));
      assert.ok(hop.redirectedTo.startsWith(`${ISSUER}/interaction/`), JSON.stringify(params));
    }
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
    assert.equal(t.lastOutcome()?.reason, 'user_denied', 'refused because the user pressed Deny');
    assert.equal(callback.searchParams.get('iss'), ISSUER);
    assert.equal(callback.searchParams.get('code'), null);
  });
});
