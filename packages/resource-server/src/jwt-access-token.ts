import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { createJwksCache } from './jwks-cache.ts';
import { AuthorizationServerUnavailable } from './upstream.ts';
import {
  audienceContains,
  confirmationThumbprint,
  invalidToken,
  scopeTokens,
  type VerifiedToken,
} from './verified-token.ts';

/**
 * Local validation of a JWT access token, RFC 9068 §4, against the authorization server's JWKS.
 * Gatehouse issues ES256 tokens with `typ: at+jwt`, `iss`, `sub`, `aud` (the RFC 8707 resource),
 * `client_id`, `scope`, `iat`, `exp`, `jti`, and `cnf.jkt` when DPoP-bound (packages/server/src/tokens/access-token.ts).
 */
export interface JwtVerifierOptions {
  issuer: string;
  resource: string;
  algorithms: readonly string[];
  clockSkewSeconds: number;
  keys: ReturnType<typeof createJwksCache>;
}

/** RFC 9068 §2.2: claims an access token MUST carry. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

export async function verifyJwtAccessToken(
  options: JwtVerifierOptions,
  token: string,
  now: number,
): Promise<VerifiedToken> {
  // Cheap checks before any key lookup, so garbage never costs a JWKS fetch.
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalidToken('token_malformed', 'the access token is not a JWT');
  }
  if (token.split('.').length !== 3) throw invalidToken('token_malformed', 'the access token is not a JWS');
  // RFC 9068 §4 (and §2.1): typ is at+jwt (application/at+jwt is the same value), so an ID token
  // or any other JWT from the same issuer cannot be used as an access token.
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
  if (typ !== 'at+jwt') throw invalidToken('token_typ', 'the access token is not an at+jwt');
  // RFC 9068 §4: the alg is one the resource expects (never none, never a MAC).
  if (typeof header.alg !== 'string' || !options.algorithms.includes(header.alg)) {
    throw invalidToken(
      'token_alg',
      'the access token is signed with an algorithm this resource does not accept',
    );
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      typ: 'at+jwt',
      algorithms: [...options.algorithms],
      currentDate: new Date(now),
      clockTolerance: options.clockSkewSeconds,
      requiredClaims: REQUIRED_CLAIMS,
    }));
  } catch (error) {
    throw mapJoseError(error);
  }

  // RFC 9068 §4, RFC 8707, MCP-10: the token was issued for this resource, and no other.
  if (!audienceContains(payload.aud, options.resource)) {
    throw invalidToken('token_audience', 'the access token was not issued for this resource');
  }
  const claims = payload as Record<string, unknown>;
  const scopes = scopeTokens(claims.scope);
  const clientId = claims.client_id;
  if (scopes === undefined || typeof clientId !== 'string' || typeof payload.sub !== 'string') {
    throw invalidToken('token_claims', 'the access token claims are malformed');
  }
  const jkt = confirmationThumbprint(claims);
  if (jkt === null) throw invalidToken('token_claims', 'the access token cnf claim is malformed');
  return {
    clientId,
    subject: payload.sub,
    scopes,
    expiresAt: payload.exp!,
    ...(jkt === undefined ? {} : { jkt }),
    claims,
  };
}

function mapJoseError(error: unknown): Error {
  if (error instanceof AuthorizationServerUnavailable) return error;
  if (error instanceof errors.JWTExpired) return invalidToken('token_expired', 'the access token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return invalidToken('token_issuer', 'the access token was issued by another authorization server');
      case 'nbf':
        return invalidToken('token_not_yet_valid', 'the access token is not valid yet');
      case 'typ':
        return invalidToken('token_typ', 'the access token is not an at+jwt');
      default:
        return invalidToken('token_claims', 'the access token claims are missing or malformed');
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalidToken('token_key_unknown', 'the access token was signed by an unknown key');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalidToken('token_signature', 'the access token signature is invalid');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalidToken(
      'token_alg',
      'the access token is signed with an algorithm this resource does not accept',
    );
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return invalidToken('token_malformed', 'the access token is malformed');
  }
  // Anything else (a key of the wrong type for the alg, an unusable JWK in the set) says the token
  // cannot be verified with the keys we trust: the same answer, without the internals.
  return invalidToken('token_unverifiable', 'the access token cannot be verified');
}
