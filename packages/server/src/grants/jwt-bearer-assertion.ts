import { OAuthError } from '@gatehouse-oauth/core';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { type ClientJwks, type ClientJwksCache, parseJwks } from '../clients/client-jwks.ts';
import { CLIENT_ASSERTION_SIGNING_ALGS, CLIENT_ASSERTION_TIME } from '../clients/private-key-jwt.ts';
import type { ReplayStore } from '../store/replay-store.ts';

/**
 * The JWT of the `urn:ietf:params:oauth:grant-type:jwt-bearer` grant (RFC 7523 §2.1), checked as
 * RFC 7523 §3 and RFC 7521 §5.2 ask, for any issuer the operator trusts: an enterprise IdP's
 * ID-JAG (MCP-EXT-EMA, ./id-jag-grant.ts) or a platform's workload token (SEP-1933,
 * ./workload-identity-grant.ts). jose verifies; the issuer's keys are its inline set or its
 * `jwks_uri` read through the JWKS cache of private_key_jwt (the hardened fetcher, its TTL and its
 * re-fetch cooldown: one path for every key set an outsider publishes). Refusals are
 * `invalid_grant` (RFC 7521 §5.2), each with its own stable reason.
 */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** No sane assertion is larger; bounded before any parsing. */
const MAX_ASSERTION_LENGTH = 16_384;
const MAX_JTI_LENGTH = 256;

/** One trusted issuer, as the grant checks it. */
export interface TrustedIssuer {
  issuer: string;
  /** Inline keys, or where to fetch them (a discovery-resolved URL included). */
  keys: { jwks: ClientJwks } | { jwksUri: () => Promise<string> };
  /** The exact `aud` required (RFC 7523 §3 item 3): this server's issuer unless configured. */
  audience: string;
  maxLifetimeSeconds: number;
}

export interface AssertionDeps {
  jwks: ClientJwksCache;
  replay: ReplayStore;
}

export function refuseGrant(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_grant', { reason, description });
}

/** What is read before verification: the header's `typ` and the claimed `iss`, to pick the issuer. */
export interface UnverifiedAssertion {
  typ: string | undefined;
  iss: string;
}

export function peekAssertion(assertion: string): UnverifiedAssertion {
  if (assertion.length > MAX_ASSERTION_LENGTH)
    throw refuseGrant('jwt_bearer_malformed', 'the assertion is too large');
  try {
    const header = decodeProtectedHeader(assertion);
    const { iss } = decodeJwt(assertion);
    if (typeof iss !== 'string' || iss === '') throw new Error('no iss');
    return { typ: typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined, iss };
  } catch {
    throw refuseGrant('jwt_bearer_malformed', 'the assertion is not a JWT with an iss claim');
  }
}

/**
 * Signature, `aud`, time and `jti` of an assertion from `trusted`. `typ`: the exact header type
 * required (ID-JAG: `oauth-id-jag+jwt`). The jti is spent last, after every other check, so nobody
 * without the issuer's key can burn one, and across instances through the replay store.
 */
export async function verifyAssertion(
  assertion: string,
  trusted: TrustedIssuer,
  deps: AssertionDeps,
  now: number,
  options: { typ?: string; replayPrefix: string },
): Promise<JWTPayload & { jti: string; exp: number }> {
  const payload = await verifySignature(assertion, trusted, deps, now, options.typ);
  const nowSeconds = Math.floor(now / 1000);
  const { clockSkew } = CLIENT_ASSERTION_TIME;
  // RFC 7523 §3 item 3: aud identifies this server, compared exactly (a list must contain it).
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  if (!audiences.includes(trusted.audience)) {
    throw refuseGrant('jwt_bearer_audience', `the assertion aud must be ${trusted.audience}`);
  }
  // RFC 7523 §3 item 4: exp is required; a bounded lifetime bounds what a stolen assertion is worth
  // and how long its jti is remembered.
  if (typeof payload.exp !== 'number') throw refuseGrant('jwt_bearer_malformed', 'the assertion has no exp');
  const start = typeof payload.iat === 'number' ? Math.min(payload.iat, nowSeconds) : nowSeconds;
  if (payload.exp - start > trusted.maxLifetimeSeconds + clockSkew) {
    throw refuseGrant(
      'jwt_bearer_lifetime',
      `the assertion may live at most ${trusted.maxLifetimeSeconds} seconds`,
    );
  }
  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + clockSkew) {
    throw refuseGrant('jwt_bearer_lifetime', 'the assertion iat is in the future');
  }
  // RFC 7523 §3 item 7: jti required here, since replay protection depends on it.
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) {
    throw refuseGrant('jwt_bearer_malformed', 'the assertion must carry a jti of at most 256 characters');
  }
  const fresh = await deps.replay.remember(
    `${options.replayPrefix}:${trusted.issuer}:${payload.jti}`,
    (payload.exp + clockSkew) * 1000,
    now,
  );
  if (!fresh) throw refuseGrant('jwt_bearer_replayed', 'the assertion jti has already been used');
  return { ...payload, jti: payload.jti, exp: payload.exp };
}

async function verifySignature(
  assertion: string,
  trusted: TrustedIssuer,
  deps: AssertionDeps,
  now: number,
  typ: string | undefined,
): Promise<JWTPayload> {
  const attempt = async (set: ClientJwks) => {
    try {
      const { payload } = await jwtVerify(assertion, localKeys(set), {
        issuer: trusted.issuer,
        // Asymmetric only: HS* with a published key, or `none`, never verify.
        algorithms: [...CLIENT_ASSERTION_SIGNING_ALGS],
        currentDate: new Date(now),
        clockTolerance: CLIENT_ASSERTION_TIME.clockSkew,
        ...(typ === undefined ? {} : { typ }),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      throw mapJoseError(error);
    }
  };
  if ('jwks' in trusted.keys) {
    const payload = await attempt(trusted.keys.jwks);
    if (payload === undefined) throw noKey();
    return payload;
  }
  const keys = trusted.keys;
  const uri = await keys.jwksUri().catch(() => {
    // OpenID discovery failed (audited as fetch.refused when the fetcher refused).
    throw keysUnavailable();
  });
  const payload = await attempt(await keysAt(deps, uri, now, false));
  if (payload !== undefined) return payload;
  // A key rotated since the cached copy: one re-fetch, within the cache's cooldown.
  const refreshed = await keysAt(deps, uri, now, true);
  const retried = refreshed === undefined ? undefined : await attempt(refreshed);
  if (retried === undefined) throw noKey();
  return retried;
}

function localKeys(set: ClientJwks): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: set.keys as never });
}

async function keysAt(
  deps: AssertionDeps,
  uri: string,
  now: number,
  fresh: true,
): Promise<ClientJwks | undefined>;
async function keysAt(deps: AssertionDeps, uri: string, now: number, fresh: false): Promise<ClientJwks>;
async function keysAt(deps: AssertionDeps, uri: string, now: number, fresh: boolean) {
  try {
    return fresh ? await deps.jwks.refresh(uri, now) : await deps.jwks.get(uri, now);
  } catch {
    // The cache's refusal speaks of a client's jwks_uri; the fetch itself is audited (fetch.refused).
    throw keysUnavailable();
  }
}

/** An inline set configured for an issuer, checked at start-up. */
export function inlineKeys(jwks: unknown, issuer: string): ClientJwks {
  const set = parseJwks(jwks);
  if (set === undefined) throw new Error(`the jwks of ${issuer} is not a JWK Set`);
  return set;
}

function keysUnavailable(): OAuthError {
  return refuseGrant('jwt_bearer_keys_unavailable', "the assertion issuer's keys cannot be read now");
}

function noKey(): OAuthError {
  return refuseGrant('jwt_bearer_signature', 'the assertion is not signed by a key of its issuer');
}

function mapJoseError(error: unknown): OAuthError {
  if (error instanceof errors.JWTExpired)
    return refuseGrant('jwt_bearer_expired', 'the assertion has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf')
      return refuseGrant('jwt_bearer_lifetime', 'the assertion is not valid yet (nbf)');
    if (error.claim === 'typ')
      return refuseGrant('jwt_bearer_typ', 'the assertion typ is not the one required');
    return refuseGrant('jwt_bearer_malformed', `the assertion claim ${error.claim} is invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return noKey();
  return refuseGrant('jwt_bearer_signature', 'the assertion is not a valid JWS of its issuer');
}
