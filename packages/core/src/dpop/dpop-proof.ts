import { createHash, type KeyObject, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { publicJwkMembers } from '../jwk/public-jwk.ts';
import { importPublicJwkForJws, keyFitsJwsAlgorithm, verifyJwsSignature } from '../jws/compact-jws.ts';
import { OAuthError } from '../oauth-error.ts';

/**
 * DPoP proof validation, RFC 9449 §4.3, as a pure function: everything it needs (method, URI,
 * access token, nonce rule, time) is a parameter, and it reads no clock and touches no store.
 *
 * What it deliberately does NOT do:
 * - **jti replay** (§11.1). Refusing a second use of a jti needs shared state across instances, so
 *   the caller hands the returned `jti` (scoped by `jkt`) to the replay store. A proof that passes
 *   here may still be a replay until the caller has done that.
 * - **Key binding** of the token or grant (`cnf.jkt`, `dpop_jkt`, §6–§7, §10): the caller compares
 *   the returned `jkt`.
 * - **HTTP framing**: exactly one `DPoP` header (§4.3 step 1), the status (400 at the AS, 401 at the
 *   RS, §7.1 and §9) and the `WWW-Authenticate` / `DPoP-Nonce` response headers (§8, §9).
 *
 * Every refusal is an OAuthError `invalid_dpop_proof` with a stable `reason` (`dpop_*`), except a
 * missing, unknown or expired server nonce, which is a {@link DpopNonceError} (`use_dpop_nonce`).
 */

/** §4.2 `alg`: the algorithms accepted when the caller does not narrow them (ES256 is AT-11's MUST). */
export const DPOP_DEFAULT_ALGORITHMS: readonly string[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

/**
 * The only algorithms this module will ever verify, whatever the caller lists. §4.3 step 5: `alg`
 * must be asymmetric, and never `none` — a MAC "keyed" with the public JWK from the header would
 * prove nothing, since anyone can read that key.
 */
export const ASYMMETRIC_JWS_ALGORITHMS: ReadonlySet<string> = new Set([
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
]);

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** §4.2 leaves `jti` unbounded; 256 matches the client assertion limit (AT-9). */
export const DPOP_MAX_JTI_LENGTH = 256;

/**
 * A proof is a header value; even an RSA-8192 key and signature fit well inside this. The cap keeps
 * a hostile header from costing base64 and JSON work before it is refused.
 */
const MAX_PROOF_LENGTH = 8192;

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

export type DpopNonceReason = 'nonce_required' | 'nonce_invalid' | 'nonce_stale';

/**
 * §8: the server requires a nonce and the proof had none, or not a current one. The caller answers
 * with a fresh nonce in the `DPoP-Nonce` header (400 at the AS, §8; 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` at the RS, §9) and the client retries.
 */
export class DpopNonceError extends OAuthError {
  declare readonly error: 'use_dpop_nonce';
  declare readonly reason: DpopNonceReason;

  constructor(reason: DpopNonceReason, description: string) {
    super('use_dpop_nonce', { reason, description });
    this.name = 'DpopNonceError';
  }
}

export function isDpopNonceError(value: unknown): value is DpopNonceError {
  return value instanceof DpopNonceError;
}

export interface DpopProofExpectation {
  /** The request method, e.g. `POST` (§4.3 step 8: compared exactly; methods are case-sensitive). */
  htm: string;
  /** The request URI as the server sees it; query and fragment are ignored (§4.3 step 9). */
  htu: string;
  /** The access token presented with this request (RS side): `ath` must then match (§4.3 step 12). */
  accessToken?: string;
  /**
   * The nonce rule (§4.3 step 10, §8). Called with the proof's `nonce` (undefined when absent) and
   * answers true (accept), false (missing or not ours) or 'stale' (ours, but too old). Leave it out
   * when this endpoint does not require nonces; a nonce in the proof is then ignored.
   */
  nonce?: (nonce: string | undefined) => boolean | 'stale';
  /** Epoch milliseconds, as everywhere in Gatehouse. */
  now: number;
  /** How old `iat` may be (§4.3 step 11, §11.1). Default 300 s. */
  maxAgeSeconds?: number;
  /** Tolerance for clocks that disagree, in both directions. Default 30 s. */
  clockSkewSeconds?: number;
  /** Accepted `alg` values, intersected with the asymmetric ones. Default {@link DPOP_DEFAULT_ALGORITHMS}. */
  algorithms?: readonly string[];
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key, base64url: what `cnf.jkt` / `dpop_jkt` carry. */
  jkt: string;
  /** For the caller's replay check (§11.1); unique per key, so key the replay store on jkt + jti. */
  jti: string;
  /** Seconds since the epoch, from the proof. */
  iat: number;
  /** The proof key, public members only (no `key_ops`, `use`, `ext`, `alg`, `kid`). */
  jwk: JWK;
}

/**
 * Proof keys seen recently. A client signs all its proofs with one key (its tokens are bound to
 * it), so the key's import and its RFC 7638 thumbprint are worth doing once rather than per
 * request (decision 0018). Keyed by the public members exactly as received, so the thumbprint is
 * still that of the received strings; only keys whose proof signature verified get in; bounded,
 * the least recently used going first. Every proof's signature is still verified: the cache holds
 * the key, never a verdict, so the function's answers are the same with or without it.
 */
const PROOF_KEY_CACHE_SIZE = 1024;

interface ProofKey {
  key: KeyObject;
  jkt?: string;
}

// lru-cache (decision 0023): `get` moves the key to the most recently used end, `set` evicts the
// least recently used one past the bound.
const proofKeys = new LRUCache<string, ProofKey>({ max: PROOF_KEY_CACHE_SIZE });

function refuse(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_dpop_proof', { reason, description });
}

/**
 * The form `htu` is compared in (§4.3 step 9, RFC 3986 §6.2.2–§6.2.3): scheme and host lowercased,
 * the default port dropped, dot segments resolved, an empty path as `/`, query and fragment removed.
 * Undefined for anything that is not an absolute http(s) URI without userinfo, so it never matches.
 */
export function normaliseHtu(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  // Userinfo has no place in a request URI (RFC 9110 §4.2.4); refusing it keeps the comparison honest.
  if (url.username !== '' || url.password !== '') return undefined;
  // WHATWG URL parsing already lowercases scheme and host and drops :80 / :443 for http / https.
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function sha256Base64url(text: string): string {
  return createHash('sha256').update(text, 'ascii').digest('base64url');
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one DPoP proof (RFC 9449 §4.3 steps 2–12; the nonce, step 10, is checked last) and returns the key's thumbprint.
 * Does NOT check jti replay: the caller must `remember` `jkt:jti` in the replay store (§11.1).
 */
export async function verifyDpopProof(
  proof: string,
  expected: DpopProofExpectation,
): Promise<VerifiedDpopProof> {
  const maxAge = expected.maxAgeSeconds ?? 300;
  const skew = expected.clockSkewSeconds ?? 30;
  const allowed = (expected.algorithms ?? DPOP_DEFAULT_ALGORITHMS).filter((alg) =>
    ASYMMETRIC_JWS_ALGORITHMS.has(alg),
  );

  // §4.3 step 2: a single well-formed JWS in compact serialisation (three non-empty base64url
  // parts; five would be a JWE, an empty signature an unsecured JWT).
  if (typeof proof !== 'string' || proof.length > MAX_PROOF_LENGTH) {
    throw refuse('dpop_malformed', 'DPoP proof must be a single JWS of reasonable size');
  }
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL_SEGMENT.test(part))) {
    throw refuse('dpop_malformed', 'DPoP proof must be a JWS in compact serialization');
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>;
  } catch {
    throw refuse('dpop_malformed', 'DPoP proof header is not valid JSON');
  }

  // §4.3 step 4: typ is exactly dpop+jwt, so no other kind of JWT can be passed off as a proof.
  if (header.typ !== 'dpop+jwt') throw refuse('dpop_typ', 'DPoP proof typ must be dpop+jwt');

  // §4.3 step 5: an asymmetric algorithm this server supports; none and HS* never are.
  const alg = header.alg;
  if (typeof alg !== 'string' || !allowed.includes(alg)) {
    throw refuse('dpop_alg', `DPoP proof alg must be one of ${allowed.join(', ')}`);
  }

  // RFC 7515 §4.1.11: no extension is defined for DPoP, so a critical one cannot be understood.
  if (header.crit !== undefined) throw refuse('dpop_crit', 'DPoP proof must not carry crit');

  // §4.3 steps 3 and 7: the public key is in the header, and it is only a public key (§4.2 `jwk`).
  const headerJwk = header.jwk;
  if (headerJwk === undefined) throw refuse('dpop_jwk_missing', 'DPoP proof header must carry jwk');
  if (!isObject(headerJwk)) throw refuse('dpop_jwk_invalid', 'DPoP proof jwk must be a JWK object');
  if (PRIVATE_JWK_MEMBERS.some((member) => member in headerJwk)) {
    throw refuse('dpop_jwk_private', 'DPoP proof jwk must not contain private or symmetric key material');
  }
  const jwk = publicJwkMembers(headerJwk);
  if (jwk === undefined)
    throw refuse('dpop_jwk_invalid', 'DPoP proof jwk is not a usable EC, OKP or RSA key');

  // §4.3 step 6: the signature verifies with that key under that alg. node:crypto, synchronously,
  // rather than jose's WebCrypto thread-pool round trip (decision 0018). A key that does not fit
  // the algorithm (P-256 key under ES384, an RSA modulus under 2048 bits, X25519 under EdDSA, a
  // point off its curve) is a property of the jwk.
  const keyId = JSON.stringify(jwk);
  const cached = proofKeys.get(keyId);
  const key = cached?.key ?? importPublicJwkForJws(jwk, alg);
  if (key === undefined || !keyFitsJwsAlgorithm(key, alg)) {
    throw refuse('dpop_jwk_invalid', `DPoP proof jwk cannot be used with ${alg}`);
  }
  if (!verifyJwsSignature(proof, alg, key)) {
    throw refuse('dpop_signature', 'DPoP proof signature does not verify with its jwk');
  }
  let proofKey = cached;
  if (proofKey === undefined) {
    proofKey = { key };
    proofKeys.set(keyId, proofKey);
  }
  // The segments were checked to be base64url above, so this decoding is exact.
  const payloadBytes = Buffer.from(parts[1]!, 'base64url');

  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    throw refuse('dpop_malformed', 'DPoP proof payload is not JSON');
  }
  if (!isObject(claims)) throw refuse('dpop_malformed', 'DPoP proof payload must be a JSON object');

  // §4.3 step 3 (with §4.2): jti present; bounded so the replay store cannot be flooded by size.
  const jti = claims.jti;
  if (jti === undefined) throw refuse('dpop_jti_missing', 'DPoP proof must carry jti');
  if (typeof jti !== 'string' || jti === '' || jti.length > DPOP_MAX_JTI_LENGTH) {
    throw refuse(
      'dpop_jti_invalid',
      `DPoP proof jti must be a string of 1 to ${DPOP_MAX_JTI_LENGTH} characters`,
    );
  }

  // §4.3 step 8: htm is the method of this request.
  if (claims.htm !== expected.htm) throw refuse('dpop_htm', `DPoP proof htm must be ${expected.htm}`);

  // §4.3 step 9: htu is this request's URI, without query and fragment (§4.2), compared after
  // syntax- and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3).
  const target = normaliseHtu(expected.htu);
  const htu = typeof claims.htu === 'string' ? normaliseHtu(claims.htu) : undefined;
  if (target === undefined || htu !== target) {
    throw refuse('dpop_htu', `DPoP proof htu must be ${target ?? expected.htu}`);
  }

  // §4.3 step 11, §11.1: created recently, and not meaningfully in the future. The
  // skew widens both sides, as for client assertions, because client clocks drift.
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw refuse('dpop_iat_missing', 'DPoP proof must carry a numeric iat');
  }
  const nowSeconds = expected.now / 1000;
  if (iat > nowSeconds + skew) throw refuse('dpop_iat_future', 'DPoP proof iat is in the future');
  if (nowSeconds - iat > maxAge + skew) {
    throw refuse('dpop_iat_expired', `DPoP proof is older than ${maxAge} seconds (iat)`);
  }

  // §4.3 step 12: with an access token, ath is base64url(SHA-256(token)) and binds the proof to it.
  // Without one (token endpoint, PAR) an ath is accepted and ignored: §4.3 does not forbid it and
  // htm/htu already keep such a proof from being used anywhere else.
  if (expected.accessToken !== undefined) {
    if (claims.ath === undefined)
      throw refuse('dpop_ath_missing', 'DPoP proof must carry ath with an access token');
    if (
      typeof claims.ath !== 'string' ||
      !constantTimeEqual(claims.ath, sha256Base64url(expected.accessToken))
    ) {
      throw refuse('dpop_ath', 'DPoP proof ath does not match the access token');
    }
  }

  // §4.3 step 10, §8/§9: checked last, so a proof that is wrong in any other way says so
  // first, and a nonce retry is only asked of an otherwise good proof.
  if (expected.nonce !== undefined) {
    const nonce = claims.nonce;
    if (nonce !== undefined && typeof nonce !== 'string') {
      throw new DpopNonceError('nonce_invalid', 'DPoP proof nonce must be a string');
    }
    const verdict = expected.nonce(nonce);
    if (verdict === 'stale') throw new DpopNonceError('nonce_stale', 'DPoP nonce has expired');
    if (verdict !== true) {
      throw nonce === undefined
        ? new DpopNonceError('nonce_required', 'this server requires a nonce in the DPoP proof')
        : new DpopNonceError('nonce_invalid', 'DPoP proof nonce is not valid');
    }
  }

  proofKey.jkt ??= await calculateJwkThumbprint(jwk, 'sha256');
  return { jkt: proofKey.jkt, jti, iat, jwk };
}
