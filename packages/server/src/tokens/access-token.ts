import { signCompactJws } from '@gatehouse-oauth/core';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { randomToken } from '../crypto/digest.ts';
import { type KeyRing, SIGNING_ALG } from '../keys/signing-keys.ts';

/**
 * JWT access tokens, RFC 9068. `aud` is the RFC 8707 resource (MCP-9, MCP-10), `typ` is
 * `at+jwt` so the token cannot be confused with an ID token, and `jti` is `<family>.<random>`:
 * the family id inside lets introspection and revocation reach a JWT (which is otherwise verified
 * without calling us) without a store write per token.
 */
export interface AccessTokenClaims {
  issuer: string;
  subject: string;
  audience: readonly string[];
  clientId: string;
  scope: readonly string[];
  familyId: string;
  authTime: number;
  issuedAt: number;
  expiresAt: number;
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to, as `cnf.jkt`. */
  confirmationJkt?: string;
}

/**
 * Signs with node:crypto on the key ring's KeyObject, synchronously (decision 0018): jose's
 * WebCrypto path costs a thread-pool job and a key transfer per token. The JWS is the one jose's
 * `SignJWT` makes from the same claims: header `{"alg":"ES256","typ":"at+jwt","kid"}`, then the
 * claims in this order (the access-token test compares the two byte for byte); everything that
 * verifies these tokens (introspection here, resource servers, clients) still uses jose.
 */
export async function signAccessToken(keys: KeyRing, claims: AccessTokenClaims): Promise<string> {
  const { kid, privateKey } = await keys.signing();
  return signCompactJws(
    { alg: SIGNING_ALG, typ: 'at+jwt', kid },
    accessTokenPayload(claims, `${claims.familyId}.${randomToken(12)}`),
    privateKey,
  );
}

/** The RFC 9068 §2.2 claims of an access token, in the order jose's SignJWT would write them. */
export function accessTokenPayload(
  claims: AccessTokenClaims,
  jti: string,
): JWTPayload & Record<string, unknown> {
  const payload: JWTPayload & Record<string, unknown> = {
    client_id: claims.clientId,
    auth_time: Math.floor(claims.authTime / 1000),
  };
  if (claims.scope.length > 0) payload.scope = claims.scope.join(' ');
  if (claims.confirmationJkt !== undefined) payload.cnf = { jkt: claims.confirmationJkt };
  payload.iss = claims.issuer;
  payload.sub = claims.subject;
  payload.aud = claims.audience.length === 1 ? claims.audience[0]! : [...claims.audience];
  payload.iat = Math.floor(claims.issuedAt / 1000);
  payload.exp = Math.floor(claims.expiresAt / 1000);
  payload.jti = jti;
  return payload;
}

export interface VerifiedAccessToken {
  payload: JWTPayload & { client_id?: unknown; scope?: unknown; auth_time?: unknown; cnf?: unknown };
  familyId: string;
  jti: string;
  /** `cnf.jkt`: the DPoP key the token is bound to (RFC 9449 §6.1), when it is bound. */
  dpopJkt?: string;
}

/** Verifies one of our own access tokens (signature, typ, issuer, expiry). Undefined when not valid. */
export async function verifyOwnAccessToken(
  keys: KeyRing,
  issuer: string,
  token: string,
  now: number,
): Promise<VerifiedAccessToken | undefined> {
  try {
    const { kid } = decodeProtectedHeader(token);
    if (typeof kid !== 'string') return undefined;
    const key = await keys.verification(kid);
    if (key === undefined) return undefined;
    const { payload } = await jwtVerify(token, key, {
      issuer,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(now),
    });
    const jti = payload.jti;
    const familyId = typeof jti === 'string' ? jti.split('.')[0] : undefined;
    if (jti === undefined || familyId === undefined || familyId === '') return undefined;
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    const dpopJkt =
      typeof cnf === 'object' && cnf !== null && typeof cnf.jkt === 'string' ? cnf.jkt : undefined;
    return { payload, familyId, jti, ...(dpopJkt === undefined ? {} : { dpopJkt }) };
  } catch {
    return undefined;
  }
}
