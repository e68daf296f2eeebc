import { constants, createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * The raw signature step of a compact JWS (RFC 7515 §5.1 step 5, §5.2 step 8) with node:crypto's
 * synchronous `sign` / `verify` on a `KeyObject`, and nothing else: the JOSE header checks, claim
 * checks, thumbprints and every other JOSE operation stay with jose. Why not jose here (decision
 * 0018): jose uses WebCrypto, whose every sign and verify is a libuv thread-pool job plus a key
 * transfer; on one core that dispatch costs more than the ECDSA arithmetic itself.
 *
 * Algorithms and their parameters are RFC 7518 §3.3–§3.5 and RFC 8037 §3.1, with the key
 * requirements WebCrypto (and so jose) enforces: the EC curve named by the algorithm, RSA moduli of
 * at least 2048 bits (RFC 7518 §3.3, §3.5), Ed25519 for `EdDSA` / `Ed25519` (jose 6 has no Ed448).
 */

interface AlgorithmProfile {
  /** The digest for node:crypto, or null for EdDSA (the hash is part of the scheme). */
  hash: string | null;
  keyType: 'ec' | 'rsa' | 'ed25519';
  /** The JWK `crv` (RFC 7518 §6.2.1.1, RFC 8037 §2) the algorithm requires. */
  crv?: string;
  /** OpenSSL's name of the curve (what `asymmetricKeyDetails.namedCurve` reports). */
  namedCurve?: string;
  /** RSASSA-PSS with a salt as long as the hash (RFC 7518 §3.5). */
  pssSaltLength?: number;
  /** ECDSA: the length in bytes of R and of S in the JWS signature (RFC 7518 §3.4). */
  ecOctets?: number;
}

const ALGORITHMS: ReadonlyMap<string, AlgorithmProfile> = new Map<string, AlgorithmProfile>([
  ['ES256', { hash: 'sha256', keyType: 'ec', crv: 'P-256', namedCurve: 'prime256v1', ecOctets: 32 }],
  ['ES384', { hash: 'sha384', keyType: 'ec', crv: 'P-384', namedCurve: 'secp384r1', ecOctets: 48 }],
  ['ES512', { hash: 'sha512', keyType: 'ec', crv: 'P-521', namedCurve: 'secp521r1', ecOctets: 66 }],
  ['RS256', { hash: 'sha256', keyType: 'rsa' }],
  ['RS384', { hash: 'sha384', keyType: 'rsa' }],
  ['RS512', { hash: 'sha512', keyType: 'rsa' }],
  ['PS256', { hash: 'sha256', keyType: 'rsa', pssSaltLength: 32 }],
  ['PS384', { hash: 'sha384', keyType: 'rsa', pssSaltLength: 48 }],
  ['PS512', { hash: 'sha512', keyType: 'rsa', pssSaltLength: 64 }],
  ['EdDSA', { hash: null, keyType: 'ed25519', crv: 'Ed25519' }],
  ['Ed25519', { hash: null, keyType: 'ed25519', crv: 'Ed25519' }],
]);

/** RFC 7518 §3.3 / §3.5: RSA keys of at least 2048 bits (jose refuses smaller ones too). */
const MIN_RSA_BITS = 2048;

/** The JWS algorithms {@link verifyJwsSignature} and {@link signCompactJws} support. */
export const NODE_JWS_ALGORITHMS: ReadonlySet<string> = new Set(ALGORITHMS.keys());

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Which algorithms a key is known to fit. `asymmetricKeyDetails` costs about as much as a third of
 * an ECDSA verification, so it is read at most once per key and algorithm (and not at all for a
 * key imported from a JWK whose `crv` already says it).
 */
const knownFit = new WeakMap<KeyObject, Map<string, boolean>>();

function remember(key: KeyObject, alg: string, fits: boolean): boolean {
  let known = knownFit.get(key);
  if (known === undefined) {
    known = new Map();
    knownFit.set(key, known);
  }
  known.set(alg, fits);
  return fits;
}

/** Whether `key` is of the type, curve and size that `alg` requires. */
export function keyFitsJwsAlgorithm(key: KeyObject, alg: string): boolean {
  const cached = knownFit.get(key)?.get(alg);
  if (cached !== undefined) return cached;
  const profile = ALGORITHMS.get(alg);
  if (profile === undefined || key.asymmetricKeyType !== profile.keyType) return remember(key, alg, false);
  const details = key.asymmetricKeyDetails ?? {};
  if (profile.namedCurve !== undefined && details.namedCurve !== profile.namedCurve) {
    return remember(key, alg, false);
  }
  if (profile.keyType === 'rsa' && (details.modulusLength ?? 0) < MIN_RSA_BITS)
    return remember(key, alg, false);
  return remember(key, alg, true);
}

/**
 * A public JWK (public members only, e.g. from `publicJwkMembers`) as a node:crypto key for `alg`.
 * Undefined when node cannot import it (off the curve, malformed) or it does not fit `alg`.
 */
export function importPublicJwkForJws(jwk: JWK, alg: string): KeyObject | undefined {
  const profile = ALGORITHMS.get(alg);
  if (profile === undefined) return undefined;
  // EC and OKP: the JWK's crv decides the curve node imports the key on, so checking it here
  // is the whole fit check (and spares reading the key's details back).
  if (profile.crv !== undefined && jwk.crv !== profile.crv) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (profile.crv !== undefined) {
    // createPublicKey reads `crv` only for the kty it names; an RSA JWK carrying crv: "P-256", or
    // an OKP one with crv: "X25519" under EdDSA, is caught by the type check.
    if (key.asymmetricKeyType !== profile.keyType) return undefined;
    remember(key, alg, true);
    return key;
  }
  return keyFitsJwsAlgorithm(key, alg) ? key : undefined;
}

/**
 * The key argument of node:crypto's `sign` / `verify`: the `KeyObject` itself wherever the
 * algorithm needs no option. Passing an options object (`{ key, dsaEncoding }`) costs more than it
 * looks: Node first asks whether that object is a `KeyObject`, then whether it is a `CryptoKey`, and
 * each question is answered by a native exception caught inside Node (`getKeyObjectSlots`,
 * `getSlots`), about 30 µs per call here, as much as an ES256 signature itself. So ECDSA goes
 * through DER (node's default encoding, converted from and to the JWS form below) and RSASSA-PKCS1
 * uses node's default padding; only RSASSA-PSS still needs the options object.
 */
function keyArgument(profile: AlgorithmProfile, key: KeyObject) {
  if (profile.pssSaltLength !== undefined) {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: profile.pssSaltLength };
  }
  // RSA_PKCS1_PADDING is node's default for RSA keys; ECDSA is DER by default; EdDSA has no options.
  return key;
}

/** One DER INTEGER (X.690 §8.3) of the unsigned big-endian `bytes`: minimal, positive. */
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const pad = bytes[start]! >= 0x80 ? 1 : 0;
  const body = bytes.length - start + pad;
  const out = Buffer.alloc(2 + body);
  out[0] = 0x02;
  out[1] = body;
  bytes.copy(out, 2 + pad, start);
  return out;
}

/**
 * A JWS ECDSA signature (R ‖ S, each `octets` long, RFC 7518 §3.4) as the DER `ECDSA-Sig-Value`
 * node verifies by default (RFC 3279 §2.2.3). Undefined when the length is wrong, which is simply a
 * signature that does not verify (as node's own `ieee-p1363` decoding would answer).
 */
export function ecdsaJwsToDer(signature: Buffer, octets: number): Buffer | undefined {
  if (signature.length !== 2 * octets) return undefined;
  const r = derInteger(signature.subarray(0, octets));
  const s = derInteger(signature.subarray(octets));
  const length = r.length + s.length;
  // At most 2 × (2 + 67) = 138 bytes (P-521): one length byte, in long form above 127.
  const head = length < 0x80 ? Buffer.from([0x30, length]) : Buffer.from([0x30, 0x81, length]);
  return Buffer.concat([head, r, s], head.length + length);
}

/**
 * The DER `ECDSA-Sig-Value` node's `sign` produces by default as the JWS form R ‖ S, each left-padded
 * to `octets` (RFC 7518 §3.4). Throws on anything that is not such a value: node made it, so that
 * would be a bug, never input.
 */
export function ecdsaDerToJws(der: Buffer, octets: number): Buffer {
  let offset = 0;
  const fail = (): never => {
    throw new Error('unexpected ECDSA signature encoding from node:crypto');
  };
  if (der[offset++] !== 0x30) fail();
  let length = der[offset++] ?? fail();
  if (length === 0x81) length = der[offset++] ?? fail();
  else if (length > 0x80) fail();
  if (offset + length !== der.length) fail();
  const out = Buffer.alloc(2 * octets);
  for (let part = 0; part < 2; part++) {
    if (der[offset++] !== 0x02) fail();
    let size = der[offset++] ?? fail();
    if (size === 0 || offset + size > der.length) fail();
    let start = offset;
    offset += size;
    while (size > octets && der[start] === 0) {
      start++;
      size--;
    }
    if (size > octets) fail();
    der.copy(out, (part + 1) * octets - size, start, offset);
  }
  if (offset !== der.length) fail();
  return out;
}

/**
 * Verifies the signature of a compact JWS `header.payload.signature` under `alg` with `key`
 * (RFC 7515 §5.2 step 8): false for a bad signature, a key that does not fit `alg`, an unsupported
 * `alg`, or anything that is not three non-empty base64url segments. It checks nothing else: the
 * header's `alg`, `typ`, `crit` and the claims are the caller's.
 */
export function verifyJwsSignature(compact: string, alg: string, key: KeyObject): boolean {
  const profile = ALGORITHMS.get(alg);
  if (profile === undefined || !keyFitsJwsAlgorithm(key, alg)) return false;
  const end = compact.lastIndexOf('.');
  const signingInput = compact.slice(0, end);
  const encodedSignature = compact.slice(end + 1);
  const segments = signingInput.split('.');
  if (
    end < 0 ||
    segments.length !== 2 ||
    ![...segments, encodedSignature].every((s) => BASE64URL_SEGMENT.test(s))
  ) {
    return false;
  }
  let signature: Buffer = Buffer.from(encodedSignature, 'base64url');
  if (profile.ecOctets !== undefined) {
    const der = ecdsaJwsToDer(signature, profile.ecOctets);
    if (der === undefined) return false;
    signature = der;
  }
  try {
    return verify(profile.hash, Buffer.from(signingInput, 'ascii'), keyArgument(profile, key), signature);
  } catch {
    // As WebCrypto: a key/signature combination the primitive cannot process does not verify.
    return false;
  }
}

function encodeSegment(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * Signs `payload` as a compact JWS with the protected `header` (whose `alg` picks the algorithm),
 * RFC 7515 §7.1: BASE64URL(UTF8(header)) '.' BASE64URL(payload JSON) '.' BASE64URL(signature), the
 * JSON in the objects' own member order, exactly as jose's `SignJWT` / `CompactSign` encode it.
 * Synchronous: ECDSA signatures in IEEE P1363 form (R ‖ S, RFC 7518 §3.4).
 */
export function signCompactJws(
  header: { alg: string } & Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
): string {
  const profile = ALGORITHMS.get(header.alg);
  if (profile === undefined) throw new TypeError(`JWS alg ${header.alg} is not supported`);
  if (privateKey.type !== 'private' || !keyFitsJwsAlgorithm(privateKey, header.alg)) {
    throw new TypeError(`the key cannot sign ${header.alg}`);
  }
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  let signature: Buffer = sign(
    profile.hash,
    Buffer.from(signingInput, 'ascii'),
    keyArgument(profile, privateKey),
  );
  if (profile.ecOctets !== undefined) signature = ecdsaDerToJws(signature, profile.ecOctets);
  return `${signingInput}.${signature.toString('base64url')}`;
}
