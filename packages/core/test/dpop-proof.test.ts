/** RFC 9449 §4.3 proof checks, one refusal per check, and the happy paths per key type. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  CompactSign,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
} from 'jose';
import {
  type DpopProofExpectation,
  isDpopNonceError,
  isOAuthError,
  normaliseHtu,
  verifyDpopProof,
} from '../src/index.ts';

const NOW = 1_800_000_000_000; // epoch ms; never the wall clock
const IAT = NOW / 1000;
const HTU = 'https://as.example/token';
const TOKEN = 'access-token-value';
const ATH = createHash('sha256').update(TOKEN).digest('base64url');

interface KeyPair {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

async function keyPair(alg: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

interface ProofParts {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Keys to leave out of the default header / claims. */
  omit?: string[];
  signer?: KeyPair;
}

const encoder = new TextEncoder();

let es256: KeyPair;
let other: KeyPair;

async function makeProof(parts: ProofParts = {}, keys: KeyPair = es256): Promise<string> {
  const header: Record<string, unknown> = {
    typ: 'dpop+jwt',
    alg: keys.alg,
    jwk: keys.publicJwk,
    ...parts.header,
  };
  const claims: Record<string, unknown> = { jti: 'jti-1', htm: 'POST', htu: HTU, iat: IAT, ...parts.claims };
  for (const name of parts.omit ?? []) {
    delete header[name];
    delete claims[name];
  }
  const signer = parts.signer ?? keys;
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader(header as { alg: string })
    .sign(signer.privateKey);
}

function expect(overrides: Partial<DpopProofExpectation> = {}): DpopProofExpectation {
  return { htm: 'POST', htu: HTU, now: NOW, ...overrides };
}

async function refusal(proof: Promise<string> | string, expectation: DpopProofExpectation) {
  const error = await verifyDpopProof(await proof, expectation).then(
    () => assert.fail('proof was accepted'),
    (caught: unknown) => caught,
  );
  assert.ok(isOAuthError(error), `not an OAuthError: ${String(error)}`);
  return error;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

before(async () => {
  es256 = await keyPair('ES256');
  other = await keyPair('ES256');
});

describe('verifyDpopProof: happy paths', () => {
  for (const alg of ['ES256', 'RS256', 'EdDSA', 'ES384', 'PS256']) {
    it(`accepts a proof signed with ${alg} and returns the RFC 7638 thumbprint`, async () => {
      const keys = alg === 'ES256' ? es256 : await keyPair(alg);
      const result = await verifyDpopProof(await makeProof({}, keys), expect());
      assert.equal(result.jkt, await calculateJwkThumbprint(keys.publicJwk, 'sha256'));
      assert.equal(result.jti, 'jti-1');
      assert.equal(result.iat, IAT);
      assert.deepEqual(Object.keys(result.jwk).sort(), Object.keys(keys.publicJwk).sort());
    });
  }

  it('accepts ath that matches the access token (§4.3 step 12)', async () => {
    const result = await verifyDpopProof(
      await makeProof({ claims: { ath: ATH, htm: 'GET' } }),
      expect({ htm: 'GET', accessToken: TOKEN }),
    );
    assert.equal(result.jti, 'jti-1');
  });

  it('accepts ath without an access token (token endpoint): §4.3 does not forbid it', async () => {
    await verifyDpopProof(await makeProof({ claims: { ath: ATH } }), expect());
  });

  it('tolerates key_ops / use / ext / alg / kid on the public jwk and imports only public members', async () => {
    const jwk = { ...es256.publicJwk, key_ops: ['sign'], use: 'sig', ext: true, alg: 'ES256', kid: 'k1' };
    const result = await verifyDpopProof(await makeProof({ header: { jwk } }), expect());
    assert.deepEqual(result.jwk, { kty: 'EC', crv: 'P-256', x: es256.publicJwk.x, y: es256.publicJwk.y });
    assert.equal(result.jkt, await calculateJwkThumbprint(es256.publicJwk, 'sha256'));
  });

  it('accepts iat at the edges of the window (max age + skew behind, skew ahead)', async () => {
    await verifyDpopProof(await makeProof({ claims: { iat: IAT - 330 } }), expect());
    await verifyDpopProof(await makeProof({ claims: { iat: IAT + 30 } }), expect());
    await verifyDpopProof(
      await makeProof({ claims: { iat: IAT - 20 } }),
      expect({ maxAgeSeconds: 10, clockSkewSeconds: 10 }),
    );
  });

  it('ignores a nonce in the proof when the endpoint requires none', async () => {
    await verifyDpopProof(await makeProof({ claims: { nonce: 'whatever' } }), expect());
  });

  it('a 256-character jti is accepted', async () => {
    const result = await verifyDpopProof(await makeProof({ claims: { jti: 'j'.repeat(256) } }), expect());
    assert.equal(result.jti.length, 256);
  });
});

describe('verifyDpopProof: htu comparison (§4.3 step 9)', () => {
  const accepted: Array<[string, string, string]> = [
    ['query on the request is ignored', 'https://as.example/token', 'https://as.example/token?x=1'],
    ['query and fragment in the claim are ignored', 'https://as.example/token?a=b#frag', HTU],
    ['scheme and host are case-insensitive', 'HTTPS://AS.Example/token', HTU],
    ['default https port', 'https://as.example:443/token', HTU],
    ['default port on the request side', HTU, 'https://as.example:443/token'],
    ['default http port', 'http://as.example:80/token', 'http://as.example/token'],
    ['dot segments', 'https://as.example/a/../token', HTU],
    ['empty path is /', 'https://as.example', 'https://as.example/'],
  ];
  for (const [name, claim, request] of accepted) {
    it(`accepts: ${name}`, async () => {
      await verifyDpopProof(await makeProof({ claims: { htu: claim } }), expect({ htu: request }));
    });
  }

  const refused: Array<[string, unknown, string]> = [
    ['different path', 'https://as.example/par', HTU],
    ['path is case-sensitive', 'https://as.example/Token', HTU],
    ['different host', 'https://evil.example/token', HTU],
    ['different scheme', 'http://as.example/token', HTU],
    ['non-default port', 'https://as.example:8443/token', HTU],
    ['trailing slash', 'https://as.example/token/', HTU],
    ['userinfo', 'https://user@as.example/token', HTU],
    ['not a URI', 'token', HTU],
    ['not a string', 42, HTU],
    ['missing', undefined, HTU],
    ['non-http scheme on both sides', 'ftp://as.example/token', 'ftp://as.example/token'],
  ];
  for (const [name, claim, request] of refused) {
    it(`refuses: ${name}`, async () => {
      const error = await refusal(makeProof({ claims: { htu: claim } }), expect({ htu: request }));
      assert.equal(error.reason, 'dpop_htu');
      assert.equal(error.error, 'invalid_dpop_proof');
    });
  }

  it('normaliseHtu strips query and fragment and normalises scheme, host and port', () => {
    assert.equal(normaliseHtu('HTTPS://Example.COM:443/a/b?c#d'), 'https://example.com/a/b');
    assert.equal(normaliseHtu('http://example.com:8080'), 'http://example.com:8080/');
    assert.equal(normaliseHtu('mailto:a@example.com'), undefined);
    assert.equal(normaliseHtu('/relative'), undefined);
  });
});

describe('verifyDpopProof: refusals, one per check', () => {
  // [name, proof builder, expectation overrides, reason]
  const cases: Array<[string, () => Promise<string> | string, Partial<DpopProofExpectation>, string]> = [
    // §4.3 step 2
    ['not a JWS', () => 'not-a-jwt', {}, 'dpop_malformed'],
    [
      'two proofs joined',
      async () => `${await makeProof()},${await makeProof({ claims: { jti: 'j2' } })}`,
      {},
      'dpop_malformed',
    ],
    ['JWE-shaped (five parts)', () => 'a.b.c.d.e', {}, 'dpop_malformed'],
    [
      'empty signature (unsecured JWT)',
      async () => `${(await makeProof()).split('.').slice(0, 2).join('.')}.`,
      {},
      'dpop_malformed',
    ],
    ['header not JSON', () => `${Buffer.from('{x').toString('base64url')}.e30.c2ln`, {}, 'dpop_malformed'],
    ['oversized', () => `${'a'.repeat(9000)}.b.c`, {}, 'dpop_malformed'],
    ['payload not a JSON object', async () => makeProofRaw(es256, '"string"'), {}, 'dpop_malformed'],
    // §4.3 step 4
    ['typ missing', () => makeProof({ omit: ['typ'] }), {}, 'dpop_typ'],
    ['typ JWT', () => makeProof({ header: { typ: 'JWT' } }), {}, 'dpop_typ'],
    ['typ at+jwt', () => makeProof({ header: { typ: 'at+jwt' } }), {}, 'dpop_typ'],
    // §4.3 step 5
    [
      'alg none',
      () =>
        `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: es256.publicJwk })}.${b64({ jti: 'x', htm: 'POST', htu: HTU, iat: IAT })}.`,
      {},
      'dpop_malformed',
    ],
    [
      'alg none with a dummy signature',
      () =>
        `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: es256.publicJwk })}.${b64({ jti: 'x', htm: 'POST', htu: HTU, iat: IAT })}.AAAA`,
      { algorithms: ['none', 'ES256'] },
      'dpop_alg',
    ],
    ['HS256 keyed with the public JWK', () => hmacProof(), {}, 'dpop_alg'],
    [
      'HS256 even when the caller lists it',
      () => hmacProof(),
      { algorithms: ['HS256', 'ES256'] },
      'dpop_alg',
    ],
    ['alg not in the allow-list', () => makeProof(), { algorithms: ['EdDSA'] }, 'dpop_alg'],
    ['alg unknown', () => reheader({ alg: 'ES999' }), {}, 'dpop_alg'],
    ['alg missing', () => reheader({ alg: undefined }), {}, 'dpop_alg'],
    ['crit header', () => makeProof({ header: { crit: ['b64'], b64: true } }), {}, 'dpop_crit'],
    // §4.3 steps 3 and 7
    ['jwk missing', () => makeProof({ omit: ['jwk'] }), {}, 'dpop_jwk_missing'],
    ['jwk not an object', () => makeProof({ header: { jwk: 'key' } }), {}, 'dpop_jwk_invalid'],
    [
      'jwk is the private key',
      () => makeProof({ header: { jwk: es256.privateJwk } }),
      {},
      'dpop_jwk_private',
    ],
    [
      'jwk is symmetric (k)',
      () => makeProof({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }),
      {},
      'dpop_jwk_private',
    ],
    [
      'jwk of an unknown kty',
      () => makeProof({ header: { jwk: { kty: 'XYZ', x: 'a' } } }),
      {},
      'dpop_jwk_invalid',
    ],
    [
      'EC jwk without y',
      () => makeProof({ header: { jwk: { kty: 'EC', crv: 'P-256', x: es256.publicJwk.x } } }),
      {},
      'dpop_jwk_invalid',
    ],
    ['P-256 key under ES384', () => reheader({ alg: 'ES384' }), {}, 'dpop_jwk_invalid'],
    // §4.3 step 6
    ['signed by another key', () => makeProof({ signer: other }), {}, 'dpop_signature'],
    ['payload altered after signing', () => tamper(), {}, 'dpop_signature'],
    // §4.3 step 3 (jti)
    ['jti missing', () => makeProof({ omit: ['jti'] }), {}, 'dpop_jti_missing'],
    ['jti empty', () => makeProof({ claims: { jti: '' } }), {}, 'dpop_jti_invalid'],
    ['jti too long', () => makeProof({ claims: { jti: 'j'.repeat(257) } }), {}, 'dpop_jti_invalid'],
    ['jti not a string', () => makeProof({ claims: { jti: 7 } }), {}, 'dpop_jti_invalid'],
    // §4.3 step 8
    ['htm mismatch', () => makeProof({ claims: { htm: 'GET' } }), {}, 'dpop_htm'],
    ['htm case differs', () => makeProof({ claims: { htm: 'post' } }), {}, 'dpop_htm'],
    ['htm missing', () => makeProof({ omit: ['htm'] }), {}, 'dpop_htm'],
    // §4.3 step 11
    ['iat missing', () => makeProof({ omit: ['iat'] }), {}, 'dpop_iat_missing'],
    ['iat a string', () => makeProof({ claims: { iat: String(IAT) } }), {}, 'dpop_iat_missing'],
    ['iat too old', () => makeProof({ claims: { iat: IAT - 331 } }), {}, 'dpop_iat_expired'],
    [
      'iat too old for a custom max age',
      () => makeProof({ claims: { iat: IAT - 61 } }),
      { maxAgeSeconds: 30 },
      'dpop_iat_expired',
    ],
    ['iat in the future beyond skew', () => makeProof({ claims: { iat: IAT + 31 } }), {}, 'dpop_iat_future'],
    [
      'iat in the future with no skew',
      () => makeProof({ claims: { iat: IAT + 1 } }),
      { clockSkewSeconds: 0 },
      'dpop_iat_future',
    ],
    // §4.3 step 12
    ['ath missing with an access token', () => makeProof(), { accessToken: TOKEN }, 'dpop_ath_missing'],
    [
      'ath for another token',
      () => makeProof({ claims: { ath: ATH } }),
      { accessToken: 'other-token' },
      'dpop_ath',
    ],
    ['ath not a string', () => makeProof({ claims: { ath: 1 } }), { accessToken: TOKEN }, 'dpop_ath'],
    ['ath is the raw token', () => makeProof({ claims: { ath: TOKEN } }), { accessToken: TOKEN }, 'dpop_ath'],
  ];

  for (const [name, build, overrides, reason] of cases) {
    it(`${name} → ${reason}`, async () => {
      const error = await refusal(build(), expect(overrides));
      assert.equal(error.error, 'invalid_dpop_proof');
      assert.equal(error.status, 400);
      assert.equal(error.reason, reason);
      assert.equal(isDpopNonceError(error), false);
    });
  }
});

describe('verifyDpopProof: server nonce (§4.3 step 10, §8, §9)', () => {
  const good = 'server-nonce-1';
  const rule = (nonce: string | undefined): boolean | 'stale' =>
    nonce === good ? true : nonce === 'old-nonce' ? 'stale' : false;

  it('accepts the nonce the rule accepts', async () => {
    await verifyDpopProof(await makeProof({ claims: { nonce: good } }), expect({ nonce: rule }));
  });

  const cases: Array<[string, unknown, string]> = [
    ['missing nonce', undefined, 'nonce_required'],
    ['unknown nonce', 'forged', 'nonce_invalid'],
    ['non-string nonce', 12, 'nonce_invalid'],
    ['stale nonce', 'old-nonce', 'nonce_stale'],
  ];
  for (const [name, nonce, reason] of cases) {
    it(`${name} → use_dpop_nonce / ${reason}`, async () => {
      const error = await refusal(makeProof({ claims: { nonce } }), expect({ nonce: rule }));
      assert.equal(error.error, 'use_dpop_nonce');
      assert.equal(error.reason, reason);
      assert.ok(isDpopNonceError(error));
    });
  }

  it('the rule sees undefined for a proof without a nonce', async () => {
    const seen: Array<string | undefined> = [];
    await refusal(
      makeProof(),
      expect({
        nonce: (nonce) => {
          seen.push(nonce);
          return false;
        },
      }),
    );
    assert.deepEqual(seen, [undefined]);
  });

  it('other defects are reported before the nonce (a nonce retry is asked only of a good proof)', async () => {
    const error = await refusal(makeProof({ claims: { htm: 'GET' } }), expect({ nonce: rule }));
    assert.equal(error.reason, 'dpop_htm');
  });
});

async function makeProofRaw(keys: KeyPair, payload: string): Promise<string> {
  return new CompactSign(encoder.encode(payload))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: keys.alg, jwk: keys.publicJwk })
    .sign(keys.privateKey);
}

/** The classic algorithm-confusion forgery: HMAC "signed" with the public key as the secret. */
async function hmacProof(): Promise<string> {
  const secret = encoder.encode(JSON.stringify(es256.publicJwk));
  return new CompactSign(encoder.encode(JSON.stringify({ jti: 'x', htm: 'POST', htu: HTU, iat: IAT })))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: es256.publicJwk })
    .sign(secret);
}

/** The ES256 proof's payload and signature under a different header (e.g. one claiming ES384). */
async function reheader(changes: Record<string, unknown>): Promise<string> {
  const [, payload, signature] = (await makeProof()).split('.');
  return `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: es256.publicJwk, ...changes })}.${payload}.${signature}`;
}

async function tamper(): Promise<string> {
  const [header, , signature] = (await makeProof()).split('.');
  return `${header}.${b64({ jti: 'jti-1', htm: 'GET', htu: HTU, iat: IAT })}.${signature}`;
}
