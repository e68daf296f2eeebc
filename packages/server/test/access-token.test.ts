/**
 * Access tokens signed with node:crypto (decision 0018) are the JWS jose's SignJWT makes from the
 * same claims (RFC 9068 §2: header alg/typ/kid, the claims in the same order), and verify with jose
 * against the published JWKS, which is what resource servers and clients do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import { createKeyRing, rotateSigningKey } from '../src/keys/signing-keys.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import {
  type AccessTokenClaims,
  accessTokenPayload,
  signAccessToken,
  verifyOwnAccessToken,
} from '../src/tokens/access-token.ts';

const NOW = 1_800_000_000_000; // epoch ms; never the wall clock
const ISSUER = 'https://as.example';

function claims(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
  return {
    issuer: ISSUER,
    subject: 'user-1',
    audience: ['https://mcp.example/mcp'],
    clientId: 'https://client.example/client.json',
    scope: ['mcp:tools', 'profile'],
    familyId: 'fam1',
    authTime: NOW - 60_500,
    issuedAt: NOW + 999,
    expiresAt: NOW + 300_000,
    confirmationJkt: 'jkt-thumbprint',
    ...overrides,
  };
}

async function ring() {
  const store = createMemoryStore();
  let now = NOW;
  const keys = createKeyRing(store.signingKeys, () => now);
  return { store, keys, advance: (ms: number) => (now += ms) };
}

/** What jose's SignJWT writes for the same claims and jti, the way Gatehouse signed before 0018. */
async function joseReference(
  key: Awaited<ReturnType<Awaited<ReturnType<typeof ring>>['keys']['signing']>>,
  c: AccessTokenClaims,
  jti: string,
) {
  const payload: Record<string, unknown> = {
    client_id: c.clientId,
    auth_time: Math.floor(c.authTime / 1000),
  };
  if (c.scope.length > 0) payload.scope = c.scope.join(' ');
  if (c.confirmationJkt !== undefined) payload.cnf = { jkt: c.confirmationJkt };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(c.issuer)
    .setSubject(c.subject)
    .setAudience(c.audience.length === 1 ? c.audience[0]! : [...c.audience])
    .setIssuedAt(Math.floor(c.issuedAt / 1000))
    .setExpirationTime(Math.floor(c.expiresAt / 1000))
    .setJti(jti)
    .sign(key.key);
}

describe('access tokens signed with node:crypto (decision 0018, RFC 9068)', () => {
  const variants: Array<[string, Partial<AccessTokenClaims>]> = [
    ['one audience, scope, cnf.jkt', {}],
    ['several audiences', { audience: ['https://a.example/', 'https://b.example/'] }],
    ['no scope, not DPoP-bound', { scope: [], subject: 'unbound' }],
    ['non-ASCII subject', { subject: 'üser-☃' }],
  ];
  for (const [name, overrides] of variants) {
    it(`header and claims are byte-identical to jose SignJWT's: ${name}`, async () => {
      const { keys } = await ring();
      const c = claims(overrides);
      if (c.subject === 'unbound') delete c.confirmationJkt;
      const token = await signAccessToken(keys, c);
      const [header, payload, signature] = token.split('.');
      const jti = JSON.parse(Buffer.from(payload!, 'base64url').toString()).jti as string;
      assert.match(jti, /^fam1\.[A-Za-z0-9_-]+$/);
      const reference = (await joseReference(await keys.signing(), c, jti)).split('.');
      assert.equal(header, reference[0]);
      assert.equal(payload, reference[1]);
      // ECDSA is randomised, so the signatures differ, but both are 64-byte R ‖ S (RFC 7518 §3.4).
      assert.equal(Buffer.from(signature!, 'base64url').length, 64);
      assert.equal(Buffer.from(reference[2]!, 'base64url').length, 64);
    });
  }

  it('verifies with jose against the published JWKS (what resource servers do)', async () => {
    const { keys } = await ring();
    const token = await signAccessToken(keys, claims());
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), {
      issuer: ISSUER,
      audience: 'https://mcp.example/mcp',
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(NOW),
    });
    assert.deepEqual(protectedHeader, { alg: 'ES256', typ: 'at+jwt', kid: (await keys.signing()).kid });
    assert.equal(payload.client_id, 'https://client.example/client.json');
    assert.equal(payload.scope, 'mcp:tools profile');
    assert.deepEqual(payload.cnf, { jkt: 'jkt-thumbprint' });
    assert.equal(payload.auth_time, Math.floor((NOW - 60_500) / 1000));
    assert.equal(payload.iat, Math.floor((NOW + 999) / 1000));
  });

  it('verifyOwnAccessToken accepts it and reports the family and cnf.jkt', async () => {
    const { keys } = await ring();
    const token = await signAccessToken(keys, claims());
    const verified = await verifyOwnAccessToken(keys, ISSUER, token, NOW);
    assert.equal(verified?.familyId, 'fam1');
    assert.equal(verified?.dpopJkt, 'jkt-thumbprint');
    assert.equal(await verifyOwnAccessToken(keys, 'https://other.example', token, NOW), undefined);
    assert.equal(await verifyOwnAccessToken(keys, ISSUER, token, NOW + 301_000), undefined);
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${signature}`;
    assert.equal(await verifyOwnAccessToken(keys, ISSUER, forged, NOW), undefined);
  });

  it('after a rotation, signs with the new key (kid) once the ring reloads; the old key keeps verifying', async () => {
    const { store, keys, advance } = await ring();
    const before = await signAccessToken(keys, claims());
    const oldKid = decodeProtectedHeader(before).kid;
    await rotateSigningKey(store.signingKeys, NOW);
    advance(60_001);
    const after = await signAccessToken(keys, claims());
    const newKid = decodeProtectedHeader(after).kid;
    assert.notEqual(newKid, oldKid);
    const jwks = createLocalJWKSet(await keys.jwks());
    for (const token of [before, after]) {
      await jwtVerify(token, jwks, { issuer: ISSUER, currentDate: new Date(NOW + 60_001) });
    }
  });

  it('the KeyObject and the CryptoKey of the ring are the same key', async () => {
    const { keys } = await ring();
    const signing = await keys.signing();
    const publicJwk = (await keys.jwks()).keys.find((key) => key.kid === signing.kid)!;
    assert.equal(signing.privateKey.asymmetricKeyType, 'ec');
    const fromKeyObject = signing.privateKey.export({ format: 'jwk' });
    assert.equal(fromKeyObject.x, publicJwk.x);
    assert.equal(fromKeyObject.y, publicJwk.y);
    await importJWK(publicJwk, 'ES256');
  });

  it('accessTokenPayload keeps the RFC 9068 claim order', () => {
    assert.deepEqual(Object.keys(accessTokenPayload(claims(), 'fam1.x')), [
      'client_id',
      'auth_time',
      'scope',
      'cnf',
      'iss',
      'sub',
      'aud',
      'iat',
      'exp',
      'jti',
    ]);
  });
});
