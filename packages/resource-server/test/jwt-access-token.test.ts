/**
 * Local verification of JWT access tokens (RFC 9068 §4) against the JWKS, and the RFC 6750 §3
 * answers: every rejection the issue lists, each keyed on its stable reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { AuthenticateResult } from '../src/index.ts';
import {
  challenges,
  type Fixture,
  mcpRequest,
  mintAccessToken,
  RESOURCE,
  signingKey,
  startFixture,
} from './support/fixture.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

const bearer = (token: string) => mcpRequest({ authorization: `Bearer ${token}` });

function refused(result: AuthenticateResult) {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  return result;
}

async function assertInvalidToken(result: AuthenticateResult, reason: string) {
  const { response, error } = refused(result);
  assert.equal(error.reason, reason);
  assert.equal(response.status, 401);
  const bearerChallenge = challenges(response.headers.get('www-authenticate')).get('Bearer');
  assert.ok(bearerChallenge, 'a Bearer challenge');
  assert.equal(bearerChallenge.error, 'invalid_token');
  assert.equal(
    bearerChallenge.resource_metadata,
    'https://mcp.example/.well-known/oauth-protected-resource/mcp',
  );
  assert.equal(((await response.json()) as { error: string }).error, 'invalid_token');
}

describe('a valid Gatehouse access token (RFC 9068)', () => {
  it('is accepted, and AuthInfo is shaped like the MCP SDK’s', async () => {
    const rs = f.rs();
    const token = await f.token({ scope: 'mcp:tools mcp:admin' });
    const result = await rs.authenticate(bearer(token), { scopes: ['mcp:tools'] });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.auth.token, token);
    assert.equal(result.auth.clientId, 'https://client.example/metadata.json');
    assert.deepEqual(result.auth.scopes, ['mcp:tools', 'mcp:admin']);
    assert.equal(result.auth.expiresAt, Math.floor(f.clock.now() / 1000) + 300);
    assert.equal(result.auth.resource.href, RESOURCE);
    assert.equal(result.auth.extra.sub, 'user-alice');
    assert.equal(result.auth.extra.jkt, undefined);
    assert.equal(result.auth.extra.claims.iss, f.issuer);
    assert.deepEqual(result.headers, {});
  });
  it('is accepted with aud as an array containing this resource, and typ application/at+jwt', async () => {
    const rs = f.rs();
    const token = await f.token(
      { aud: ['https://other.example', RESOURCE] },
      { header: { typ: 'application/at+jwt' } },
    );
    assert.equal((await rs.authenticate(bearer(token))).ok, true);
  });
  it('accepts the scheme name in any case (RFC 9110 §11.1)', async () => {
    const rs = f.rs();
    const token = await f.token();
    assert.equal((await rs.authenticate(mcpRequest({ authorization: `bearer ${token}` }))).ok, true);
  });
});

describe('rejections: 401 invalid_token with the resource_metadata challenge (MCP-10, MCP-19)', () => {
  it('wrong audience (another resource’s token, MCP-10)', async () => {
    const token = await f.token({ aud: 'https://other.example/mcp' });
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_audience');
  });
  it('audience that differs only by a trailing slash', async () => {
    const token = await f.token({ aud: `${RESOURCE}/` });
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_audience');
  });
  it('expired (exp in the past beyond the skew)', async () => {
    const rs = f.rs();
    const token = await f.token();
    f.clock.advance(300_000 + 31_000);
    try {
      await assertInvalidToken(await rs.authenticate(bearer(token)), 'token_expired');
    } finally {
      f.clock.advance(-(300_000 + 31_000));
    }
  });
  it('still accepted inside the clock skew after exp', async () => {
    const rs = f.rs();
    const token = await f.token();
    f.clock.advance(300_000 + 20_000);
    try {
      assert.equal((await rs.authenticate(bearer(token))).ok, true);
    } finally {
      f.clock.advance(-(300_000 + 20_000));
    }
  });
  it('not yet valid (nbf in the future)', async () => {
    const token = await f.token({ nbf: Math.floor(f.clock.now() / 1000) + 120 });
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_not_yet_valid');
  });
  it('bad signature (payload altered after signing)', async () => {
    const token = await f.token();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.scope = 'mcp:admin';
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await assertInvalidToken(await f.rs().authenticate(bearer(forged)), 'token_signature');
  });
  it('wrong key: signed by another key under the published kid', async () => {
    const impostor = await signingKey(f.key.kid);
    const token = await f.token({}, { key: impostor });
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_signature');
  });
  it('wrong key: a kid the JWKS does not have (after one refetch)', async () => {
    const rs = f.rs();
    assert.equal((await rs.authenticate(bearer(await f.token()))).ok, true);
    const before = f.host.hits('/jwks');
    f.clock.advance(60_000); // past the refetch cooldown
    try {
      const stranger = await signingKey();
      const token = await f.token({}, { key: stranger });
      await assertInvalidToken(await rs.authenticate(bearer(token)), 'token_key_unknown');
      assert.equal(f.host.hits('/jwks'), before + 1, 'one refetch for the unknown kid');
    } finally {
      f.clock.advance(-60_000);
    }
  });
  it('a published key that cannot be used (not a point on its curve) is token_unverifiable', async () => {
    const rs = f.rs({ jwksUri: `${f.issuer}/jwks-unusable` });
    // The right kid, kty and crv, but x and y are no point on P-256: the key cannot be imported.
    const unusable = { ...f.key.publicJwk, x: Buffer.alloc(32, 1).toString('base64url') };
    f.host.route('/jwks-unusable', (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [unusable] }));
    });
    await assertInvalidToken(await rs.authenticate(bearer(await f.token())), 'token_unverifiable');
  });
  it('wrong issuer', async () => {
    const token = await f.token({ iss: 'https://evil.example' });
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_issuer');
  });
  it('wrong typ: an ID token (typ JWT) from the same issuer', async () => {
    const token = await f.token({}, { header: { typ: 'JWT' } });
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_typ');
  });
  it('no typ at all', async () => {
    const token = await new SignJWT({ sub: 'x', aud: RESOURCE, iss: f.issuer })
      .setProtectedHeader({ alg: 'ES256', kid: f.key.kid })
      .sign(f.key.privateKey);
    await assertInvalidToken(await f.rs().authenticate(bearer(token)), 'token_typ');
  });
  it('alg none and HS256 are refused before any key lookup', async () => {
    const rs = f.rs();
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = b64({ iss: f.issuer, aud: RESOURCE, sub: 'x', exp: 9_999_999_999 });
    const none = `${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`;
    await assertInvalidToken(await rs.authenticate(bearer(none)), 'token_alg');
    const hs = await new SignJWT({ iss: f.issuer, aud: RESOURCE, sub: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('a-secret-of-thirty-two-bytes-len'));
    await assertInvalidToken(await rs.authenticate(bearer(hs)), 'token_alg');
  });
  it('a required RFC 9068 claim missing (client_id, jti)', async () => {
    await assertInvalidToken(
      await f.rs().authenticate(bearer(await f.token({ client_id: undefined }))),
      'token_claims',
    );
    await assertInvalidToken(
      await f.rs().authenticate(bearer(await f.token({ jti: undefined }))),
      'token_claims',
    );
  });
  it('not a JWT at all', async () => {
    await assertInvalidToken(await f.rs().authenticate(bearer('opaque-token-value')), 'token_malformed');
  });
});

describe('no token, or not one we can read (RFC 6750 §3.1)', () => {
  it('missing token: 401, no error code, Bearer challenge first then DPoP with algs', async () => {
    const result = refused(await f.rs().authenticate(mcpRequest(), { scopes: ['mcp:tools'] }));
    assert.equal(result.error.reason, 'token_missing');
    assert.equal(result.response.status, 401);
    const header = result.response.headers.get('www-authenticate')!;
    assert.match(header, /^Bearer /, 'MCP clients read only the first challenge, and only Bearer');
    const parsed = challenges(header);
    assert.deepEqual(parsed.get('Bearer'), {
      scope: 'mcp:tools',
      resource_metadata: 'https://mcp.example/.well-known/oauth-protected-resource/mcp',
    });
    assert.equal(parsed.get('DPoP')?.algs, 'ES256 ES384 EdDSA RS256 PS256');
    assert.equal(parsed.get('DPoP')?.error, undefined);
    assert.equal(await result.response.text(), '');
  });
  it('a scheme we do not take (Basic) is treated like no token', async () => {
    const result = refused(await f.rs().authenticate(mcpRequest({ authorization: 'Basic dXNlcjpwYXNz' })));
    assert.equal(result.error.reason, 'token_scheme_unsupported');
    assert.equal(result.response.status, 401);
    assert.equal(challenges(result.response.headers.get('www-authenticate')).get('Bearer')?.error, undefined);
  });
  for (const value of [
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'Bearer tok"en',
    'Bearer a,Bearer b',
    '"Bearer" x',
  ]) {
    it(`malformed Authorization header ${JSON.stringify(value)}: 400 invalid_request`, async () => {
      const result = refused(await f.rs().authenticate(mcpRequest({ authorization: value })));
      assert.equal(result.error.reason, 'authorization_malformed');
      assert.equal(result.response.status, 400);
      assert.equal(
        challenges(result.response.headers.get('www-authenticate')).get('Bearer')?.error,
        'invalid_request',
      );
    });
  }
});

describe('scopes (RFC 6750 §3.1, MCP-16)', () => {
  it('insufficient scope: 403 naming exactly the scopes this request needs', async () => {
    const token = await f.token({ scope: 'mcp:tools' });
    const result = refused(await f.rs().authenticate(bearer(token), { scopes: ['mcp:tools', 'mcp:admin'] }));
    assert.equal(result.error.reason, 'scope_insufficient');
    assert.equal(result.response.status, 403);
    const parsed = challenges(result.response.headers.get('www-authenticate')).get('Bearer');
    assert.equal(parsed?.error, 'insufficient_scope');
    assert.equal(parsed?.scope, 'mcp:tools mcp:admin');
    assert.equal(parsed?.resource_metadata, 'https://mcp.example/.well-known/oauth-protected-resource/mcp');
    assert.equal(((await result.response.json()) as { error: string }).error, 'insufficient_scope');
  });
  it('a token without any scope claim has no scopes', async () => {
    const token = await f.token({ scope: undefined });
    assert.equal((await f.rs().authenticate(bearer(token))).ok, true);
    assert.equal((await f.rs().authenticate(bearer(token), { scopes: ['mcp:tools'] })).ok, false);
  });
  it('scope hierarchy: a granted scope implies others, transitively (MCP-16)', async () => {
    const rs = f.rs({ scopeImplies: { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:tools'] } });
    const token = await f.token({ scope: 'mcp:admin' });
    const result = await rs.authenticate(bearer(token), { scopes: ['mcp:tools'] });
    assert.equal(result.ok, true);
    if (result.ok) assert.deepEqual(result.auth.scopes, ['mcp:admin'], 'AuthInfo keeps the granted scopes');
    const lesser = await f.token({ scope: 'mcp:tools' });
    assert.equal((await rs.authenticate(bearer(lesser), { scopes: ['mcp:admin'] })).ok, false);
  });
});

describe('the JWKS: cached, rotated keys picked up (issue #7)', () => {
  it('discovers jwks_uri from the RFC 8414 metadata once, and caches the keys', async () => {
    const metadataHits = f.host.hits('/.well-known/oauth-authorization-server');
    const jwksHits = f.host.hits('/jwks');
    const rs = f.rs();
    for (let i = 0; i < 3; i++) assert.equal((await rs.authenticate(bearer(await f.token()))).ok, true);
    assert.equal(f.host.hits('/.well-known/oauth-authorization-server'), metadataHits + 1);
    assert.equal(f.host.hits('/jwks'), jwksHits + 1);
  });
  it('a token signed with a newly rotated key is accepted: the new kid triggers a refetch', async () => {
    const rs = f.rs();
    assert.equal((await rs.authenticate(bearer(await f.token()))).ok, true);
    const rotated = await signingKey();
    f.published.push(rotated);
    f.clock.advance(31_000);
    try {
      const jwksHits = f.host.hits('/jwks');
      const result = await rs.authenticate(bearer(await f.token({}, { key: rotated })));
      assert.equal(result.ok, true);
      assert.equal(f.host.hits('/jwks'), jwksHits + 1);
    } finally {
      f.published.pop();
      f.clock.advance(-31_000);
    }
  });
  it('unknown kids do not refetch more than once per cooldown', async () => {
    const rs = f.rs();
    assert.equal((await rs.authenticate(bearer(await f.token()))).ok, true);
    const jwksHits = f.host.hits('/jwks');
    const stranger = await signingKey();
    for (let i = 0; i < 5; i++) {
      const result = refused(await rs.authenticate(bearer(await f.token({}, { key: stranger }))));
      assert.equal(result.error.reason, 'token_key_unknown');
    }
    assert.equal(f.host.hits('/jwks'), jwksHits, 'inside the cooldown after the first fetch: no refetch');
  });
  it('keys older than maxAge are refetched; if that fails the held keys keep working', async () => {
    const rs = f.rs({ jwksUri: `${f.issuer}/jwks-flaky` });
    let up = true;
    let hits = 0;
    f.host.route('/jwks-flaky', (_request, response) => {
      hits++;
      if (!up) return void response.writeHead(500).end();
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: f.published.map((k) => k.publicJwk) }));
    });
    assert.equal((await rs.authenticate(bearer(await f.token()))).ok, true);
    up = false;
    f.clock.advance(601_000);
    try {
      assert.equal((await rs.authenticate(bearer(await f.token()))).ok, true);
      assert.equal(hits, 2, 'the stale set was refetched once');
    } finally {
      f.clock.advance(-601_000);
    }
  });
  it('JWKS unreachable and nothing held: 503 temporarily_unavailable, nothing about why', async () => {
    const rs = f.rs({ jwksUri: `${f.issuer}/no-such-jwks` });
    const result = refused(await rs.authenticate(bearer(await f.token())));
    assert.equal(result.response.status, 503);
    assert.equal(result.error.reason, 'authorization_server_unavailable');
    const body = (await result.response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
    assert.doesNotMatch(JSON.stringify(body), /no-such-jwks|404|as\.test/);
  });
  it('metadata naming another issuer is not trusted (RFC 8414 §3.3)', async () => {
    f.host.json('/.well-known/oauth-authorization-server/tenant', {
      issuer: 'https://someone-else.example',
      jwks_uri: `${f.issuer}/jwks`,
    });
    const rs = f.rs({ issuer: `${f.issuer}/tenant` });
    const token = await mintAccessToken(f.key, { iss: `${f.issuer}/tenant` }, f.clock.now());
    const result = refused(await rs.authenticate(bearer(token)));
    assert.equal(result.response.status, 503);
  });
});
