/** RFC 8414 metadata (MCP-2/3/4/14), the JWKS, and RFC 9068 token shape. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { rotateSigningKey } from '../src/keys/signing-keys.ts';
import { createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

describe('authorization server metadata (RFC 8414)', async () => {
  it('is served at the well-known path and the OpenID path with the exact issuer', async () => {
    const t = await createTestServer();
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const response = await t.send(`${ISSUER}${path}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, ISSUER);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assert.equal(metadata.token_endpoint, `${ISSUER}/token`);
      assert.deepEqual(metadata.scopes_supported, ['mcp:tools', 'mcp:admin', 'api:read']);
    }
  });

  it('inserts the issuer path into the well-known URL (RFC 8414 §3.1) and serves endpoints below it', async () => {
    const issuer = `${ISSUER}/tenant-a`;
    const t = await createTestServer({ issuer });
    const inserted = await t.send(`${ISSUER}/.well-known/oauth-authorization-server/tenant-a`);
    assert.equal(((await inserted.json()) as { issuer: string }).issuer, issuer);
    const appended = await t.send(`${issuer}/.well-known/openid-configuration`);
    assert.equal(appended.status, 200);
    assert.equal((await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)).status, 404);
    const page = await t.send(t.authorizationUrl().replace(`${ISSUER}/authorize`, `${issuer}/authorize`));
    assert.match(page.headers.get('location') ?? '', /^https:\/\/as\.example\.test\/tenant-a\/interaction\//);
  });

  it('refuses issuers that RFC 8414 forbids', async () => {
    for (const issuer of [
      'http://as.example.test',
      'https://as.example.test?x=1',
      'https://as.example.test#f',
      'https://as.example.test/',
    ]) {
      await assert.rejects(createTestServer({ issuer }), /issuer/);
    }
  });
});

describe('access tokens (RFC 9068) and the JWKS', async () => {
  it('are ES256 at+jwt tokens that verify against the published JWKS', async () => {
    const t = await createTestServer();
    const tokens = await t.tokensFor();
    const jwks = (await (await t.send(`${ISSUER}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys.length, 1);
    for (const key of jwks.keys)
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[secret], undefined);
    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks as never), {
      issuer: ISSUER,
      audience: RESOURCE,
      typ: 'at+jwt',
      currentDate: new Date(t.now()),
    });
    assert.equal(payload.sub, 'user-alice');
    assert.equal(payload.client_id, 'public-app');
    assert.equal(payload.exp! - payload.iat!, 300);
    for (const claim of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'])
      assert.ok(claim in payload, claim);
  });

  it('keeps publishing a rotated key and signs with the new one', async () => {
    const t = await createTestServer();
    await t.tokensFor();
    await rotateSigningKey(t.store.signingKeys, t.now());
    t.advance(61_000); // the key ring re-reads the store after a minute
    const jwks = (await (await t.send(`${ISSUER}/jwks`)).json()) as { keys: { kid: string }[] };
    assert.equal(jwks.keys.length, 2);
    const tokens = await t.tokensFor();
    const keys = await t.store.signingKeys.list();
    const active = keys.filter((key) => key.retiredAt === undefined);
    assert.equal(active.length, 1, 'exactly one key signs after a rotation');
    assert.equal(decodeProtectedHeader(tokens.access_token).kid, active[0]!.kid);
    assert.ok(
      jwks.keys.some((key) => key.kid === keys.find((k) => k.retiredAt !== undefined)!.kid),
      'the retired key is still published',
    );
  });
});

describe('the first signing key', () => {
  it('is one key even when several instances start on a new store at the same moment', async () => {
    const { createMemoryStore } = await import('../src/store/memory/memory-store.ts');
    const { ensureSigningKey } = await import('../src/keys/signing-keys.ts');
    const store = createMemoryStore();
    const chosen = await Promise.all(Array.from({ length: 8 }, () => ensureSigningKey(store.signingKeys, 0)));
    assert.equal(new Set(chosen.map((key) => key.kid)).size, 1);
    assert.equal((await store.signingKeys.list()).length, 1);
  });
});
