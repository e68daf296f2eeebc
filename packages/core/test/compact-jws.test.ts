/**
 * The node:crypto JWS signature step (decision 0018) against jose, per algorithm family: proofs
 * signed by jose verify here (through verifyDpopProof, RFC 9449 §4.3 step 6), our signatures verify
 * with jose, and keys that do not fit the algorithm are refused as jose refuses them.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  generateKeyPair,
  type JWK,
} from 'jose';
import {
  ASYMMETRIC_JWS_ALGORITHMS,
  ecdsaDerToJws,
  ecdsaJwsToDer,
  importPublicJwkForJws,
  isOAuthError,
  NODE_JWS_ALGORITHMS,
  signCompactJws,
  verifyDpopProof,
  verifyJwsSignature,
} from '../src/index.ts';

const NOW = 1_800_000_000_000; // epoch ms; never the wall clock
const HTU = 'https://as.example/token';
const encoder = new TextEncoder();
const ALL = [...ASYMMETRIC_JWS_ALGORITHMS];

async function joseKeys(alg: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

async function joseProof(
  alg: string,
  keys: Awaited<ReturnType<typeof joseKeys>>,
  claims: Record<string, unknown> = {},
) {
  return new CompactSign(
    encoder.encode(JSON.stringify({ jti: `j-${alg}`, htm: 'POST', htu: HTU, iat: NOW / 1000, ...claims })),
  )
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: keys.publicJwk })
    .sign(keys.privateKey);
}

/** A proof of `alg` whose signature was made by another key of the same kind. */
async function foreignSignature(alg: string, keys: Awaited<ReturnType<typeof joseKeys>>) {
  const other = await joseKeys(alg);
  const [header, payload] = (await joseProof(alg, keys)).split('.');
  const [, , signature] = (
    await new CompactSign(encoder.encode(Buffer.from(payload!, 'base64url').toString()))
      .setProtectedHeader(JSON.parse(Buffer.from(header!, 'base64url').toString()))
      .sign(other.privateKey)
  ).split('.');
  return `${header}.${payload}.${signature}`;
}

async function reason(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => assert.fail('accepted'),
    (caught: unknown) => caught,
  );
  assert.ok(isOAuthError(error), String(error));
  return error.reason;
}

describe('verifyDpopProof with node:crypto verifies jose-signed proofs, per algorithm (RFC 9449 §4.3 step 6)', () => {
  it('the node:crypto primitive supports every asymmetric algorithm DPoP accepts', () => {
    assert.deepEqual(
      ALL.filter((alg) => !NODE_JWS_ALGORITHMS.has(alg)),
      [],
    );
  });

  for (const alg of ALL) {
    it(`${alg}: a jose-signed proof verifies; a foreign signature and a tampered payload are dpop_signature`, async () => {
      const keys = await joseKeys(alg);
      const proof = await joseProof(alg, keys);
      const result = await verifyDpopProof(proof, { htm: 'POST', htu: HTU, now: NOW, algorithms: [alg] });
      assert.equal(result.jkt, await calculateJwkThumbprint(keys.publicJwk, 'sha256'));
      assert.equal(result.jti, `j-${alg}`);
      const expectation = { htm: 'POST', htu: HTU, now: NOW, algorithms: [alg] };
      assert.equal(
        await reason(verifyDpopProof(await foreignSignature(alg, keys), expectation)),
        'dpop_signature',
      );
      const [header, , signature] = proof.split('.');
      const tampered = `${header}.${Buffer.from(JSON.stringify({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW / 1000 })).toString('base64url')}.${signature}`;
      assert.equal(await reason(verifyDpopProof(tampered, expectation)), 'dpop_signature');
    });
  }
});

describe('a proof key seen before (the recent-key cache) changes no verdict', () => {
  it('the same key proves again with the same jkt; a forged signature with it is still dpop_signature', async () => {
    const keys = await joseKeys('ES256');
    const expectation = { htm: 'POST', htu: HTU, now: NOW };
    const first = await verifyDpopProof(await joseProof('ES256', keys), expectation);
    const second = await verifyDpopProof(await joseProof('ES256', keys, { jti: 'again' }), expectation);
    assert.equal(second.jkt, first.jkt);
    assert.equal(second.jti, 'again');
    assert.equal(
      await reason(verifyDpopProof(await foreignSignature('ES256', keys), expectation)),
      'dpop_signature',
    );
    const [, payload, signature] = (await joseProof('ES256', keys)).split('.');
    const es384Header = Buffer.from(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'ES384', jwk: keys.publicJwk }),
    ).toString('base64url');
    assert.equal(
      await reason(
        verifyDpopProof(`${es384Header}.${payload}.${signature}`, { ...expectation, algorithms: ['ES384'] }),
      ),
      'dpop_jwk_invalid',
    );
  });

  it('a key whose first proof failed its signature is verified afresh next time', async () => {
    const keys = await joseKeys('ES256');
    const expectation = { htm: 'POST', htu: HTU, now: NOW };
    assert.equal(
      await reason(verifyDpopProof(await foreignSignature('ES256', keys), expectation)),
      'dpop_signature',
    );
    const result = await verifyDpopProof(await joseProof('ES256', keys), expectation);
    assert.equal(result.jkt, await calculateJwkThumbprint(keys.publicJwk, 'sha256'));
  });
});

describe('keys that do not fit the algorithm are dpop_jwk_invalid, as with jose/WebCrypto', () => {
  const cases: Array<[string, string, () => JWK]> = [
    ['P-384 key under ES256', 'ES256', () => nodeJwk('ec', { namedCurve: 'P-384' })],
    ['P-256 key under ES512', 'ES512', () => nodeJwk('ec', { namedCurve: 'P-256' })],
    [
      'secp256k1 key under ES256',
      'ES256',
      () => ({ ...nodeJwk('ec', { namedCurve: 'secp256k1' }), crv: 'P-256' }),
    ],
    [
      'RSA-1024 under RS256 (RFC 7518 §3.3: 2048 bits at least)',
      'RS256',
      () => nodeJwk('rsa', { modulusLength: 1024 }),
    ],
    ['RSA-1024 under PS256', 'PS256', () => nodeJwk('rsa', { modulusLength: 1024 })],
    ['X25519 key under EdDSA', 'EdDSA', () => nodeJwk('x25519', {})],
    ['Ed448 key under EdDSA (jose supports Ed25519 only)', 'EdDSA', () => nodeJwk('ed448', {})],
    ['RSA key under ES256', 'ES256', () => nodeJwk('rsa', { modulusLength: 2048 })],
    ['EC key under RS256', 'RS256', () => nodeJwk('ec', { namedCurve: 'P-256' })],
    [
      'EC point off the curve',
      'ES256',
      () => {
        const jwk = nodeJwk('ec', { namedCurve: 'P-256' });
        return { ...jwk, y: jwk.x! };
      },
    ],
  ];
  for (const [name, alg, jwk] of cases) {
    it(name, async () => {
      const key = jwk();
      assert.equal(importPublicJwkForJws(key, alg), undefined);
      const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg, jwk: key })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW / 1000 }),
      ).toString('base64url');
      const proof = `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`;
      assert.equal(
        await reason(verifyDpopProof(proof, { htm: 'POST', htu: HTU, now: NOW, algorithms: [alg] })),
        'dpop_jwk_invalid',
      );
    });
  }
});

describe('verifyJwsSignature and signCompactJws', () => {
  for (const alg of ALL) {
    it(`${alg}: what signCompactJws signs, jose's compactVerify verifies, and so does verifyJwsSignature`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync(...nodeParameters(alg));
      const jws = signCompactJws({ alg, kid: 'k' }, { sub: 'ü', n: 1 }, privateKey);
      const { payload, protectedHeader } = await compactVerify(jws, publicKey, { algorithms: [alg] });
      assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { sub: 'ü', n: 1 });
      assert.deepEqual(protectedHeader, { alg, kid: 'k' });
      assert.equal(verifyJwsSignature(jws, alg, publicKey), true);
    });
  }

  it('PKCS#1 v1.5 and PSS are not interchangeable (RS256 signature under PS256 and back)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs = signCompactJws({ alg: 'RS256' }, {}, privateKey);
    const ps = signCompactJws({ alg: 'PS256' }, {}, privateKey);
    assert.equal(verifyJwsSignature(rs, 'RS256', publicKey), true);
    assert.equal(verifyJwsSignature(rs, 'PS256', publicKey), false);
    assert.equal(verifyJwsSignature(ps, 'PS256', publicKey), true);
    assert.equal(verifyJwsSignature(ps, 'RS256', publicKey), false);
  });

  it('malformed input, an unknown alg or a misfit key never verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = signCompactJws({ alg: 'ES256' }, { a: 1 }, privateKey);
    const [h, p, s] = jws.split('.');
    for (const bad of [
      `${h}.${p}`,
      `${h}.${p}.${s}.x`,
      `${h}..${s}`,
      `${h}.${p}.`,
      `${h}.${p}.${s}=`,
      `${h}.${p}+.${s}`,
      'abc',
    ]) {
      assert.equal(verifyJwsSignature(bad, 'ES256', publicKey), false, bad);
    }
    assert.equal(
      verifyJwsSignature(
        `${h}.${p}.${Buffer.from(s!, 'base64url').subarray(1).toString('base64url')}`,
        'ES256',
        publicKey,
      ),
      false,
    );
    assert.equal(verifyJwsSignature(jws, 'ES384', publicKey), false);
    assert.equal(verifyJwsSignature(jws, 'HS256', publicKey), false);
    assert.throws(() => signCompactJws({ alg: 'ES384' }, {}, privateKey), TypeError);
    assert.throws(() => signCompactJws({ alg: 'none' }, {}, privateKey), TypeError);
    assert.throws(() => signCompactJws({ alg: 'ES256' }, {}, publicKey), TypeError);
  });
});

describe('ECDSA signatures between the JWS form and DER (node:crypto is given the bare KeyObject)', () => {
  for (const [alg, namedCurve, octets] of [
    ['ES256', 'P-256', 32],
    ['ES384', 'P-384', 48],
    ['ES512', 'P-521', 66],
  ] as const) {
    it(`${alg}: node's DER and P1363 signatures convert into each other, both ways`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      // Enough signatures that some R or S start with zero bytes or with the high bit set.
      for (let i = 0; i < 200; i++) {
        const data = Buffer.from(`message ${i}`);
        const der = sign(null, data, privateKey);
        const jws = ecdsaDerToJws(der, octets);
        assert.equal(jws.length, 2 * octets);
        assert.equal(verify(null, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jws), true);
        assert.deepEqual(ecdsaJwsToDer(jws, octets), der);
        const p1363 = sign(null, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        assert.equal(verify(null, data, publicKey, ecdsaJwsToDer(p1363, octets) ?? Buffer.alloc(0)), true);
      }
    });
  }

  it('R and S with leading zero bytes, and with the high bit set, are minimal positive DER integers', () => {
    const jws = Buffer.alloc(64);
    jws[31] = 1; // R = 1
    jws[32] = 0x80; // S has its high bit set
    const der = ecdsaJwsToDer(jws, 32);
    assert.deepEqual(der?.subarray(0, 7), Buffer.from([0x30, 3 + 35, 0x02, 0x01, 0x01, 0x02, 0x21]));
    assert.equal(der?.[7], 0x00);
    assert.deepEqual(ecdsaDerToJws(der ?? Buffer.alloc(0), 32), jws);
  });

  it('a JWS signature of the wrong length does not verify (RFC 7518 §3.4)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = signCompactJws({ alg: 'ES256' }, { a: 1 }, privateKey);
    const [h, p, s] = jws.split('.') as [string, string, string];
    const bytes = Buffer.from(s, 'base64url');
    assert.equal(ecdsaJwsToDer(bytes.subarray(1), 32), undefined);
    for (const wrong of [bytes.subarray(1), Buffer.concat([bytes, Buffer.from([0])])]) {
      assert.equal(verifyJwsSignature(`${h}.${p}.${wrong.toString('base64url')}`, 'ES256', publicKey), false);
    }
    // A DER signature where the JWS form is expected is refused, not converted.
    const der = sign('sha256', Buffer.from(`${h}.${p}`), privateKey);
    assert.equal(verifyJwsSignature(`${h}.${p}.${der.toString('base64url')}`, 'ES256', publicKey), false);
  });

  it('anything but a DER ECDSA-Sig-Value is refused by ecdsaDerToJws', () => {
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
      Buffer.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
      Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x01]),
      Buffer.from([0x30, 0x06, 0x02, 0x00, 0x02, 0x02, 0x01, 0x01]),
    ]) {
      assert.throws(() => ecdsaDerToJws(bad, 32), bad.toString('hex'));
    }
  });
});

function nodeJwk(type: string, options: Record<string, unknown>): JWK {
  const { publicKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
  return publicKey.export({ format: 'jwk' }) as JWK;
}

function nodeParameters(alg: string): Parameters<typeof generateKeyPairSync> {
  if (alg.startsWith('ES')) {
    const namedCurve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256'];
    return ['ec', { namedCurve }] as unknown as Parameters<typeof generateKeyPairSync>;
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    return ['rsa', { modulusLength: 2048 }] as unknown as Parameters<typeof generateKeyPairSync>;
  }
  return ['ed25519', {}] as unknown as Parameters<typeof generateKeyPairSync>;
}
