import { OAuthError, publicJwkMembers } from '@gatehouse-oauth/core';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type { ReplayStore } from '../store/replay-store.ts';
import type { ClientRecord } from '../store/store.ts';
import { type ClientJwks, type ClientJwksCache, parseJwks } from './client-jwks.ts';

/**
 * `private_key_jwt` client authentication: RFC 7523 §2.2 (the assertion as client credentials),
 * §3 (the JWT's claims, checked here in order), RFC 7521 §4.2 (the parameters), OAuth 2.1 §2.4.1.
 * Requirements: CIMD-AUTH-1 (keys from `jwks` or `jwks_uri`), CIMD-AUTH-3 (iss = sub = client_id,
 * aud, exp, jti replay, asymmetric algorithms only), AT-9 (ES256, iat, jti unique over the whole
 * validity, aud = issuer), MCP-EXT-CC.
 *
 * The signature is checked by `jose` against one of the client's own public keys; nothing here
 * does cryptography by hand.
 */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Asymmetric JWS algorithms only (CIMD-AUTH-3). HS* would let anyone who knows the published public
 * key "sign" with it as an HMAC secret, and `none` is no signature at all: neither is ever listed.
 * Published as `token_endpoint_auth_signing_alg_values_supported` (RFC 8414 §2, MCP-EXT-CC, AT-12).
 */
export const CLIENT_ASSERTION_SIGNING_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;
const ACCEPTED_ALGS: ReadonlySet<string> = new Set(CLIENT_ASSERTION_SIGNING_ALGS);

/**
 * Time rules, in seconds. Clocks of real clients drift, so every comparison allows CLOCK_SKEW.
 * - MAX_LIFETIME: `exp` at most 5 min ahead. The jti must be remembered until `exp` (AT-9), so this
 *   also bounds how long each replay entry lives; a client-chosen far `exp` would be a stolen
 *   assertion's long life and a store-filling lever.
 * - MAX_AGE: an `iat` more than 60 s old is refused. AT-9 asks that assertions under 1 minute old
 *   be accepted; older ones are pre-minted tokens nobody needs (clients mint one per request).
 *   `iat` stays optional, as in RFC 7523 §3 (many non-AT Protocol clients omit it).
 */
export const CLIENT_ASSERTION_TIME = { clockSkew: 30, maxLifetime: 300, maxAge: 60 } as const;
/** No sane assertion is larger; a bound before any parsing keeps decoding cheap. */
const MAX_ASSERTION_LENGTH = 16_384;
const MAX_JTI_LENGTH = 256;

/** What verifying an assertion needs from the server. */
export interface ClientAssertionContext {
  issuer: string;
  /**
   * Endpoint URLs also accepted as `aud` outside strict mode: the token endpoint (RFC 7523 §3) and
   * the PAR endpoint (RFC 9126 §2: the AS MUST accept its own PAR endpoint URL there).
   */
  endpointAudiences: readonly string[];
  /** Accept only `aud` = issuer, as a single string (draft-ietf-oauth-rfc7523bis). */
  strictAudience: boolean;
  replay: ReplayStore;
  jwks: ClientJwksCache;
  /**
   * The algorithms accepted, a subset of CLIENT_ASSERTION_SIGNING_ALGS (the atproto profile takes
   * ES256 only, AT-9). Default: all of them.
   */
  algorithms?: readonly string[];
}

export interface VerifiedClientAssertion {
  /** RFC 7638 SHA-256 thumbprint of the key that signed, so tokens can be bound to it (AT-9). */
  keyThumbprint: string;
  kid?: string;
  alg: string;
}

function refuse(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_client', { reason, description });
}

/**
 * The client_id an assertion claims to come from, read before verification so the client (and so
 * its keys) can be found. RFC 7523 §3 items 1–2: for client authentication `iss` and `sub` are both
 * the client_id; a mismatch is refused here, before any client lookup or key fetch.
 */
export function assertedClientId(assertion: string): string {
  if (assertion.length > MAX_ASSERTION_LENGTH)
    throw refuse('assertion_malformed', 'client_assertion is too large');
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch {
    throw refuse('assertion_malformed', 'client_assertion is not a JWT');
  }
  const { iss, sub } = payload;
  if (typeof sub !== 'string' || sub === '' || typeof iss !== 'string') {
    throw refuse('assertion_malformed', 'client_assertion must carry iss and sub (the client_id)');
  }
  if (iss !== sub)
    throw refuse('assertion_issuer', 'client_assertion iss and sub must both be the client_id');
  return sub;
}

export async function verifyClientAssertion(
  assertion: string,
  client: ClientRecord,
  ctx: ClientAssertionContext,
  now: number,
): Promise<VerifiedClientAssertion> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw refuse('assertion_malformed', 'client_assertion has no readable JWS header');
  }
  const alg = header.alg;
  // CIMD-AUTH-3: asymmetric only. Checked before any key is touched, so HS256-with-the-public-key
  // and alg "none" never reach a verifier.
  const accepted = ctx.algorithms ?? CLIENT_ASSERTION_SIGNING_ALGS;
  if (typeof alg !== 'string' || !ACCEPTED_ALGS.has(alg) || !accepted.includes(alg)) {
    throw refuse('assertion_alg', `client_assertion alg must be one of ${accepted.join(', ')}`);
  }
  // RFC 7591 §2: with token_endpoint_auth_signing_alg registered, every assertion uses that alg.
  const registeredAlg = registeredSigningAlg(client);
  if (registeredAlg !== undefined && registeredAlg !== alg) {
    throw refuse('assertion_alg', `this client registered token_endpoint_auth_signing_alg ${registeredAlg}`);
  }
  checkTyp(header.typ);

  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const verified = await verifyWithClientKeys(assertion, alg, kid, client, ctx, now);
  const { jti, exp } = checkClaims(verified.payload, client.clientId, ctx, now);

  // RFC 7523 §3 item 7, AT-9, CIMD-AUTH-3: a jti is accepted once for as long as the assertion could
  // be accepted at all (exp plus the skew allowance). Done last, after the signature, so nobody but
  // the key holder can burn a client's jti values.
  const fresh = await ctx.replay.remember(
    `client-assertion:${client.clientId}:${jti}`,
    (exp + CLIENT_ASSERTION_TIME.clockSkew) * 1000,
    now,
  );
  if (!fresh) throw refuse('assertion_replayed', 'client_assertion jti has already been used');

  return {
    keyThumbprint: await calculateJwkThumbprint(verified.jwk, 'sha256'),
    ...(kid === undefined ? {} : { kid }),
    alg,
  };
}

/** The registered `token_endpoint_auth_signing_alg`, when the stored metadata carries one. */
function registeredSigningAlg(client: ClientRecord): string | undefined {
  const value: unknown = (client.metadata as { token_endpoint_auth_signing_alg?: unknown })
    .token_endpoint_auth_signing_alg;
  return typeof value === 'string' ? value : undefined;
}

/**
 * `typ` is optional; when present it must say JWT or the explicit client-authentication type of
 * draft-ietf-oauth-rfc7523bis. Other typed JWTs (access tokens `at+jwt`, DPoP proofs `dpop+jwt`, …)
 * are refused, so a JWT minted for another purpose cannot double as client credentials.
 */
function checkTyp(typ: unknown): void {
  if (typ === undefined) return;
  const normalized = typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : '';
  if (normalized !== 'jwt' && normalized !== 'client-authentication+jwt') {
    throw refuse('assertion_typ', 'client_assertion typ must be JWT or client-authentication+jwt');
  }
}

async function clientKeySet(
  client: ClientRecord,
  ctx: ClientAssertionContext,
  now: number,
): Promise<ClientJwks> {
  const { jwks, jwks_uri: jwksUri } = client.metadata;
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present; which one to trust would be a guess.
  if (jwks !== undefined && jwksUri !== undefined) {
    throw refuse('client_jwks_conflict', 'the client metadata carries both jwks and jwks_uri');
  }
  if (jwks !== undefined) {
    const parsed = parseJwks(jwks);
    if (parsed === undefined) throw refuse('jwks_unavailable', 'the client jwks is not a JWK Set');
    return parsed;
  }
  if (jwksUri !== undefined) return ctx.jwks.get(jwksUri, now);
  throw refuse('jwks_unavailable', 'a private_key_jwt client needs jwks or jwks_uri in its metadata');
}

/**
 * RFC 7638 SHA-256 thumbprints of the keys the client publishes now, from the same source and cache
 * as authentication: so a token family bound to a key (AT-9, CIMD-CHG-3) can tell whether that key
 * is still in the client's metadata. With `fresh`, a jwks_uri set is re-fetched first, within the
 * cache's cooldown (a failed re-fetch falls back to the cached set: an unreachable jwks_uri is not
 * evidence that a key was removed). Keys that could never verify an assertion are left out.
 */
export async function currentClientKeyThumbprints(
  client: ClientRecord,
  ctx: ClientAssertionContext,
  now: number,
  options: { fresh?: boolean } = {},
): Promise<ReadonlySet<string>> {
  const jwksUri = client.metadata.jwks_uri;
  const refreshed =
    options.fresh === true && jwksUri !== undefined && client.metadata.jwks === undefined
      ? await ctx.jwks.refresh(jwksUri, now).catch(() => undefined)
      : undefined;
  const set = refreshed ?? (await clientKeySet(client, ctx, now));
  const thumbprints = new Set<string>();
  for (const jwk of set.keys) {
    const publicJwk = publicJwkMembers(jwk);
    if (publicJwk !== undefined) thumbprints.add(await calculateJwkThumbprint(publicJwk, 'sha256'));
  }
  return thumbprints;
}

interface Candidate {
  jwk: JWK;
}

/**
 * The keys that may have signed: same `kid` when the header names one, same `alg` when the JWK pins
 * one (RFC 7517 §4.4), a key type that suits the algorithm.
 *
 * `use` and `key_ops` are deliberately ignored. They constrain the holder of the private key, and
 * published public keys often carry values a strict importer refuses (AT Protocol clients publish
 * `key_ops: ["sign"]` on public keys, which WebCrypto will not import for verification). What
 * matters here is only whether a key this client published made the signature.
 */
function candidates(set: ClientJwks, alg: string, kid: string | undefined): Candidate[] {
  const wanted = keyTypeFor(alg);
  const found: Candidate[] = [];
  for (const jwk of set.keys) {
    if (kid !== undefined && jwk.kid !== kid) continue;
    if (jwk.alg !== undefined && jwk.alg !== alg) continue;
    if (jwk.kty !== wanted) continue;
    const publicJwk = publicJwkMembers(jwk);
    if (publicJwk !== undefined) found.push({ jwk: publicJwk });
  }
  return found;
}

function keyTypeFor(alg: string): string {
  if (alg.startsWith('ES')) return 'EC';
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'OKP';
  return 'RSA';
}

async function verifyWithClientKeys(
  assertion: string,
  alg: string,
  kid: string | undefined,
  client: ClientRecord,
  ctx: ClientAssertionContext,
  now: number,
): Promise<{ payload: JWTPayload; jwk: JWK }> {
  let found = candidates(await clientKeySet(client, ctx, now), alg, kid);
  const jwksUri = client.metadata.jwks_uri;
  if (found.length === 0 && jwksUri !== undefined) {
    // CIMD-CHG-2: an unknown key may be a freshly rotated one. One re-fetch, rate-limited per URI by
    // the cache's cooldown.
    const refreshed = await ctx.jwks.refresh(jwksUri, now);
    if (refreshed !== undefined) found = candidates(refreshed, alg, kid);
  }
  if (found.length === 0) {
    throw refuse(
      'assertion_key_unknown',
      kid === undefined ? `the client has no ${alg} key` : `the client has no ${alg} key with kid ${kid}`,
    );
  }
  for (const candidate of found) {
    let key: Awaited<ReturnType<typeof importJWK>>;
    try {
      key = await importJWK(candidate.jwk, alg);
    } catch {
      continue; // e.g. an EC key on another curve than alg names, an RSA key under 2048 bits
    }
    try {
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: [alg],
        currentDate: new Date(now),
        // RFC 7523 §3 items 4–5: exp and nbf, with the skew allowance.
        clockTolerance: CLIENT_ASSERTION_TIME.clockSkew,
      });
      return { payload, jwk: candidate.jwk };
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) continue;
      throw mapJoseError(error);
    }
  }
  throw refuse(
    'assertion_signature',
    'client_assertion signature does not verify with any key of the client',
  );
}

function mapJoseError(error: unknown): OAuthError {
  if (error instanceof errors.JWTExpired) return refuse('assertion_expired', 'client_assertion has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf')
      return refuse('assertion_not_yet_valid', 'client_assertion is not valid yet (nbf)');
    return refuse('assertion_malformed', `client_assertion claim ${error.claim} is invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse('assertion_alg', 'client_assertion alg is not accepted');
  return refuse('assertion_malformed', 'client_assertion is not a valid JWS');
}

function checkClaims(
  payload: JWTPayload,
  clientId: string,
  ctx: ClientAssertionContext,
  now: number,
): { jti: string; exp: number } {
  const nowSeconds = Math.floor(now / 1000);
  const { clockSkew, maxLifetime, maxAge } = CLIENT_ASSERTION_TIME;
  // RFC 7523 §3 items 1–2 (CIMD-AUTH-3): iss and sub are the client_id, compared exactly.
  if (payload.iss !== clientId || payload.sub !== clientId) {
    throw refuse('assertion_issuer', 'client_assertion iss and sub must both be the client_id');
  }
  // RFC 7523 §3 item 3: aud identifies this server. See checkAudience.
  if (!checkAudience(payload.aud, ctx)) {
    throw refuse(
      'assertion_audience',
      ctx.strictAudience
        ? `client_assertion aud must be the issuer ${ctx.issuer}`
        : `client_assertion aud must be the issuer ${ctx.issuer} (or the token endpoint)`,
    );
  }
  // RFC 7523 §3 item 4: exp is required (jose has already refused a past one).
  if (typeof payload.exp !== 'number') throw refuse('assertion_malformed', 'client_assertion must carry exp');
  if (payload.exp - nowSeconds > maxLifetime + clockSkew) {
    throw refuse('assertion_lifetime', `client_assertion exp must be at most ${maxLifetime} seconds ahead`);
  }
  // RFC 7523 §3 item 6, AT-9: iat, when present, is neither in the future nor stale.
  if (payload.iat !== undefined) {
    if (payload.iat > nowSeconds + clockSkew)
      throw refuse('assertion_iat', 'client_assertion iat is in the future');
    if (nowSeconds - payload.iat > maxAge + clockSkew) {
      throw refuse('assertion_iat', `client_assertion is older than ${maxAge} seconds (iat)`);
    }
  }
  // RFC 7523 §3 item 7: jti is required here because replay protection depends on it (AT-9).
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) {
    throw refuse('assertion_jti', 'client_assertion must carry a jti of at most 256 characters');
  }
  return { jti: payload.jti, exp: payload.exp };
}

/**
 * Which `aud` values identify this server.
 * - The issuer identifier is the value draft-ietf-oauth-rfc7523bis requires (and AT-9 names): a
 *   client that puts the issuer it discovered into `aud` cannot be tricked into minting an
 *   assertion for us while talking to a lookalike server whose metadata points at our endpoints.
 * - The token endpoint URL is what RFC 7523 §3 and OpenID Connect Core §9 suggested for a decade,
 *   and many deployed client libraries still send it, so it is accepted too by default (RFC 9126
 *   §2 likewise has servers accept it). Deployments that only serve up-to-date clients switch
 *   `strictClientAssertionAudience` on: then only the issuer, as a single string, is accepted.
 * An array is accepted outside strict mode when one member matches (RFC 7519 §4.1.3).
 */
function checkAudience(aud: JWTPayload['aud'], ctx: ClientAssertionContext): boolean {
  if (ctx.strictAudience) return aud === ctx.issuer;
  const accepted = [ctx.issuer, ...ctx.endpointAudiences];
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return values.some((value) => accepted.includes(value));
}
