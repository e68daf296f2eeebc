/**
 * The token endpoint's MUSTs: RFC 6749 §2.3 (client authentication), §3.2, §4.1.3 (code
 * redemption), §5.2 (errors), §6 (refresh), RFC 7636 §4.6 (PKCE), RFC 8707 §2.2, RFC 9700 §4.14
 * (refresh rotation and reuse detection), OAuth 2.1 §4.1.3 (single-use codes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APP_REDIRECT,
  basic,
  createTestServer,
  OTHER_RESOURCE,
  SECRET,
  VERIFIER,
} from './support/test-server.ts';

type Body = Record<string, unknown>;

async function expectError(response: Response, status: number, error: string): Promise<Body> {
  const body = (await response.json()) as Body;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, error, JSON.stringify(body));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return body;
}

async function codeFor(
  t: Awaited<ReturnType<typeof createTestServer>>,
  params: Record<string, string | undefined> = {},
) {
  return (await t.authorize(params)).searchParams.get('code')!;
}

function redeem(code: string, extra: Record<string, string> = {}) {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP_REDIRECT,
    client_id: 'public-app',
    code_verifier: VERIFIER,
    ...extra,
  };
}

describe('token endpoint: request format', async () => {
  const t = await createTestServer();
  it('refuses GET with 405', async () => {
    const response = await t.send('https://as.example.test/token');
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });
  it('refuses JSON bodies (form-encoded only)', async () => {
    const response = await t.send('https://as.example.test/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    await expectError(response, 400, 'invalid_request');
    assert.equal(t.lastOutcome()?.reason, 'content_type');
  });
  it('refuses a missing and an unknown grant_type', async () => {
    await expectError(await t.token({ client_id: 'public-app' }), 400, 'invalid_request');
    assert.equal(t.lastOutcome()?.reason, 'grant_type_missing');
    await expectError(
      await t.token({ grant_type: 'password', client_id: 'public-app' }),
      400,
      'unsupported_grant_type',
    );
    assert.equal(t.lastOutcome()?.reason, 'grant_type_unsupported');
    await expectError(
      await t.token({ grant_type: 'implicit', client_id: 'public-app' }),
      400,
      'unsupported_grant_type',
    );
  });
  it('refuses duplicated parameters', async () => {
    const response = await t.send('https://as.example.test/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=a&code=b&client_id=public-app',
    });
    await expectError(response, 400, 'invalid_request');
    assert.equal(t.lastOutcome()?.reason, 'duplicate_parameter');
  });
  it('refuses an oversized body with 413', async () => {
    const response = await t.token({
      grant_type: 'authorization_code',
      client_id: 'public-app',
      code: 'x'.repeat(70_000),
    });
    await expectError(response, 413, 'invalid_request');
    assert.equal(t.lastOutcome()?.reason, 'body_too_large');
  });
  it('never answers garbage with a 500', async () => {
    const bodies = [
      '%',
      '=&=&',
      'grant_type',
      '\u0000\u0001',
      'grant_type=refresh_token&refresh_token=%ZZ',
      'a='.repeat(100),
      '\uFFFF',
    ];
    for (const body of bodies) {
      const response = await t.send('https://as.example.test/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.ok(
        response.status >= 400 && response.status < 500,
        `${JSON.stringify(body)} gave ${response.status}`,
      );
      assert.ok(typeof ((await response.json()) as Body).error === 'string');
    }
  });
});

describe('token endpoint: client authentication (RFC 6749 §2.3)', async () => {
  const t = await createTestServer();
  it('accepts client_secret_basic and client_secret_post for the clients registered with them', async () => {
    const basicCode = await codeFor(t, { client_id: 'basic-app' });
    const ok = await t.token(redeem(basicCode, { client_id: 'basic-app' }), basic('basic-app', SECRET));
    assert.equal(ok.status, 200);
    const postCode = await codeFor(t, { client_id: 'post-app' });
    assert.equal(
      (await t.token(redeem(postCode, { client_id: 'post-app', client_secret: SECRET }))).status,
      200,
    );
  });
  it('answers a wrong Basic secret with 401 and a Basic challenge', async () => {
    const response = await t.token(
      redeem('whatever', { client_id: 'basic-app' }),
      basic('basic-app', 'wrong'),
    );
    await expectError(response, 401, 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'client_secret_mismatch');
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /);
  });
  it('refuses a confidential client that presents no secret (no downgrade to none)', async () => {
    await expectError(await t.token(redeem('whatever', { client_id: 'basic-app' })), 401, 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'auth_method_mismatch');
  });
  it('refuses a method other than the registered one', async () => {
    await expectError(
      await t.token(redeem('whatever', { client_id: 'basic-app', client_secret: SECRET })),
      401,
      'invalid_client',
    );
    assert.equal(t.lastOutcome()?.reason, 'auth_method_mismatch');
  });
  it('refuses two authentication methods in one request', async () => {
    const response = await t.token(
      redeem('whatever', { client_id: 'basic-app', client_secret: SECRET }),
      basic('basic-app', SECRET),
    );
    await expectError(response, 400, 'invalid_request');
    assert.equal(t.lastOutcome()?.reason, 'multiple_auth_methods');
  });
  it('refuses an unknown client and a malformed Basic header', async () => {
    await expectError(await t.token(redeem('whatever', { client_id: 'nobody' })), 401, 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'client_unknown');
    await expectError(
      await t.token(redeem('whatever'), { authorization: 'Basic !!!' }),
      401,
      'invalid_client',
    );
    assert.equal(t.lastOutcome()?.reason, 'basic_malformed');
  });
  it('refuses a client not registered for the grant type', async () => {
    await t.store.clients.put({
      ...(await t.store.clients.get('public-app'))!,
      clientId: 'code-only',
      metadata: {
        ...(await t.store.clients.get('public-app'))!.metadata,
        client_id: 'code-only',
        grant_types: ['authorization_code'],
      },
    });
    await expectError(
      await t.token({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'code-only' }),
      400,
      'unauthorized_client',
    );
    assert.equal(t.lastOutcome()?.reason, 'grant_not_registered');
  });
});

describe('token endpoint: authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6)', async () => {
  it('issues tokens once, with no-store, and revokes them when the code is replayed after the grace', async () => {
    const t = await createTestServer();
    const code = await codeFor(t);
    const first = await t.token(redeem(code));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.equal(first.headers.get('pragma'), 'no-cache');
    const tokens = (await first.json()) as { refresh_token: string; token_type: string; expires_in: number };
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 300);
    t.advance(10_001);
    await expectError(await t.token(redeem(code)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'code_reused');
    // RFC 6749 §4.1.2: the replay revokes what the first redemption produced.
    await expectError(
      await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: 'public-app',
      }),
      400,
      'invalid_grant',
    );
    assert.equal(t.lastOutcome()?.reason, 'family_revoked');
    const events = await t.store.audit.list({ type: 'code.reused' });
    assert.equal(events.length, 1);
  });

  it('redeems a code at most once under 25 concurrent requests: one session, one refresh token', async () => {
    const t = await createTestServer();
    const code = await codeFor(t);
    const responses = await Promise.all(Array.from({ length: 25 }, () => t.token(redeem(code))));
    // One redemption, and one retry answered the same (lifetimes.refreshReuseCount 1, decision 0036).
    assert.deepEqual(responses.map((r) => r.status).sort(), [200, 200, ...Array(23).fill(400)]);
    const answers = (await Promise.all(responses.map((r) => r.json()))) as Body[];
    const issued = answers.filter((body) => body.refresh_token !== undefined);
    assert.equal(new Set(issued.map((body) => body.refresh_token)).size, 1, 'the same refresh token');
    assert.deepEqual(
      [...new Set(answers.filter((body) => body.error !== undefined).map((body) => body.error_description))],
      [
        'the authorization code was already redeemed, and its retries answered; use the tokens of the first answer',
      ],
    );
    assert.deepEqual(
      t.outcomes().map((outcome) => outcome.reason),
      Array(23).fill('code_replay_limit'),
    );
    // Nothing was revoked: the session works.
    const refreshed = await t.token({
      grant_type: 'refresh_token',
      refresh_token: issued[0]!.refresh_token as string,
      client_id: 'public-app',
    });
    assert.equal(refreshed.status, 200);
  });

  // [name, override, error, reason]: RFC 7636 §4.6 and RFC 6749 §4.1.3, each for its own cause.
  const refusals: [string, Record<string, string>, string, string][] = [
    ['a wrong code_verifier', { code_verifier: 'x'.repeat(43) }, 'invalid_grant', 'pkce_mismatch'],
    ['a missing code_verifier', { code_verifier: '' }, 'invalid_grant', 'pkce_verifier_missing'],
    ['a malformed code_verifier', { code_verifier: 'short' }, 'invalid_grant', 'pkce_verifier_malformed'],
    [
      'another redirect_uri',
      { redirect_uri: 'http://127.0.0.1/callback' },
      'invalid_grant',
      'redirect_uri_mismatch',
    ],
    ['a missing redirect_uri', { redirect_uri: '' }, 'invalid_grant', 'redirect_uri_mismatch'],
    [
      'a resource that was not granted',
      { resource: OTHER_RESOURCE },
      'invalid_target',
      'resource_not_granted',
    ],
    ['an unknown code', { code: 'not-a-code' }, 'invalid_grant', 'code_unknown'],
    ['a missing code', { code: '' }, 'invalid_request', 'missing_parameter'],
  ];
  for (const [name, override, error, reason] of refusals) {
    it(`refuses ${name} and burns the code`, async () => {
      const t = await createTestServer();
      const code = await codeFor(t);
      const params = redeem(code, override);
      for (const [key, value] of Object.entries(params))
        if (value === '') delete params[key as keyof typeof params];
      await expectError(await t.token(params), 400, error);
      assert.equal(t.lastOutcome()?.reason, reason);
      if (!('code' in override)) await expectError(await t.token(redeem(code)), 400, 'invalid_grant');
    });
  }

  it('refuses a code issued to another client', async () => {
    const t = await createTestServer();
    const code = await codeFor(t);
    await expectError(
      await t.token(redeem(code, { client_id: 'post-app', client_secret: SECRET })),
      400,
      'invalid_grant',
    );
    assert.equal(t.lastOutcome()?.reason, 'code_client_mismatch');
  });

  it('refuses an expired code', async () => {
    const t = await createTestServer();
    const code = await codeFor(t);
    t.advance(61_000);
    await expectError(await t.token(redeem(code)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'code_expired');
  });
});

describe('token endpoint: refresh_token (RFC 6749 §6, RFC 9700 §4.14.2)', async () => {
  function refresh(refreshToken: string, extra: Record<string, string> = {}) {
    return { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'public-app', ...extra };
  }

  it('rotates, and answers a parallel refresh within the grace window with the same successor', async () => {
    const t = await createTestServer();
    const { refresh_token } = await t.tokensFor();
    const [a, b] = await Promise.all([t.token(refresh(refresh_token!)), t.token(refresh(refresh_token!))]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const [ta, tb] = (await Promise.all([a.json(), b.json()])) as { refresh_token: string }[];
    // One successor (decision 0036): neither caller of the parallel pair is logged out, and there is
    // still one chain.
    assert.equal(ta!.refresh_token, tb!.refresh_token);
    assert.equal((await t.token(refresh(ta!.refresh_token))).status, 200);
  });

  // Issue #18, finding 1: replayed 20 times inside the grace, a rotated token made 21 live sessions.
  it('treats reuse after the grace window as theft and revokes the family', async () => {
    const t = await createTestServer();
    const { refresh_token } = await t.tokensFor();
    const next = (await (await t.token(refresh(refresh_token!))).json()) as { refresh_token: string };
    t.advance(11_000);
    await expectError(await t.token(refresh(refresh_token!)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'refresh_token_reused');
    await expectError(await t.token(refresh(next.refresh_token)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'family_revoked');
    assert.equal((await t.store.audit.list({ type: 'refresh_token.reused' })).length, 1);
  });

  it('refuses more scope than granted, and narrows to less', async () => {
    const t = await createTestServer();
    const { refresh_token } = await t.tokensFor({ scope: 'mcp:tools' });
    await expectError(
      await t.token(refresh(refresh_token!, { scope: 'mcp:tools mcp:admin' })),
      400,
      'invalid_scope',
    );
    assert.equal(t.lastOutcome()?.reason, 'scope_exceeds_grant');
  });

  it('refuses a refresh token of another client and an expired one', async () => {
    const t = await createTestServer();
    const { refresh_token } = await t.tokensFor();
    await expectError(
      await t.token(refresh(refresh_token!, { client_id: 'post-app', client_secret: SECRET })),
      400,
      'invalid_grant',
    );
    assert.equal(t.lastOutcome()?.reason, 'refresh_client_mismatch');
    t.advance(15 * 24 * 3600 * 1000);
    await expectError(await t.token(refresh(refresh_token!)), 400, 'invalid_grant');
    assert.equal(t.lastOutcome()?.reason, 'refresh_token_expired');
  });
});

describe('grants per installation', async () => {
  it('re-consenting one installation of a client leaves another installation signed in', async () => {
    const t = await createTestServer();
    const machineA = 'http://127.0.0.1:50001/callback';
    const machineB = 'https://app.example.test/callback';
    const a = await t.tokensFor({ redirect_uri: machineA });
    const b = await t.tokensFor({ redirect_uri: machineB });
    const grants = await t.store.grants.listByUser('user-alice');
    assert.equal(grants.length, 2, 'one grant per redirect_uri');
    // Re-authorize installation A with prompt=consent, then revoke its grant.
    await t.tokensFor({ redirect_uri: machineA, prompt: 'consent' });
    const grantA = await t.store.grants.find('user-alice', 'public-app', 'http://127.0.0.1/callback');
    await t.store.grants.revoke(grantA!.id, 'test', t.now());
    const refresh = (token: string) =>
      t.token({ grant_type: 'refresh_token', refresh_token: token, client_id: 'public-app' });
    assert.equal((await refresh(a.refresh_token!)).status, 400);
    assert.equal((await refresh(b.refresh_token!)).status, 200);
  });

  it('keeps one grant for a loopback app that binds a new port on every start', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({ redirect_uri: 'http://127.0.0.1:50001/callback' }, ua);
    // Next start, new ephemeral port: already allowed, so no consent page and still one grant.
    const again = await ua.navigate(
      t.authorizationUrl({ redirect_uri: 'http://127.0.0.1:50002/callback' }),
      (l) => !l.startsWith('https://as.example.test/'),
    );
    assert.ok(!('html' in again), 'answered without asking again');
    assert.ok(new URL(again.redirectedTo).searchParams.get('code'));
    const grants = await t.store.grants.listByUser('user-alice');
    assert.deepEqual(
      grants.map((grant) => grant.redirectUri),
      ['http://127.0.0.1/callback'],
    );
  });
});
