import { OAuthError } from '@gatehouse-oauth/core';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { CLIENT_ASSERTION_SIGNING_ALGS } from '../clients/private-key-jwt.ts';
import type { SoftwareStatementIssuer } from '../options.ts';

/**
 * Software statements, RFC 7591 §2.3 and §3.1.1 (DCR-MD-11, DCR-EP-10, DCR-ERR-2): a signed JWT
 * whose `iss` MUST be present. Verified with `jose` against the configured issuer's keys,
 * asymmetric algorithms only (an `HS*` statement would need a key shared with every holder);
 * `exp` and `nbf` are honoured when present.
 * - malformed, unsigned, wrong algorithm, bad signature, expired → `invalid_software_statement`;
 * - well-formed but from an issuer that is not configured → `unapproved_software_statement`.
 * Its claims, minus the JWT's own registered claims, are metadata that take precedence over the
 * JSON members (MUST, §3.1.1).
 */
const ALGORITHMS: string[] = [...CLIENT_ASSERTION_SIGNING_ALGS];
const MAX_STATEMENT_LENGTH = 16_384;
/** JWT claims about the statement itself (RFC 7519 §4.1), not client metadata. */
const JWT_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

export interface VerifiedSoftwareStatement {
  /** The statement exactly as sent, echoed in responses (DCR-EP-10). */
  statement: string;
  iss: string;
  /** Metadata claims, to be laid over the JSON members. */
  metadata: Record<string, unknown>;
}

export async function verifySoftwareStatement(
  statement: unknown,
  issuers: ReadonlyMap<string, SoftwareStatementIssuer>,
  now: number,
): Promise<VerifiedSoftwareStatement> {
  if (typeof statement !== 'string' || statement.length > MAX_STATEMENT_LENGTH) {
    throw invalid('statement_malformed', 'software_statement must be a compact JWT');
  }
  let iss: unknown;
  try {
    const header = decodeProtectedHeader(statement);
    if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) {
      throw invalid('statement_alg', 'software_statement must be signed with an asymmetric algorithm');
    }
    iss = decodeJwt(statement).iss;
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    throw invalid('statement_malformed', 'software_statement is not a valid JWT');
  }
  // §2.3: "MUST contain an iss (issuer) claim".
  if (typeof iss !== 'string' || iss === '') {
    throw invalid('statement_iss_missing', 'software_statement has no iss claim');
  }
  const issuer = issuers.get(iss);
  if (issuer === undefined) {
    throw new OAuthError('unapproved_software_statement', {
      reason: 'statement_issuer_untrusted',
      description: 'the software_statement issuer is not trusted by this server',
    });
  }
  let payload: Record<string, unknown>;
  try {
    const keys = createLocalJWKSet(issuer.jwks as JSONWebKeySet);
    ({ payload } = await jwtVerify(statement, keys, {
      issuer: iss,
      algorithms: ALGORITHMS,
      currentDate: new Date(now),
      clockTolerance: 30,
    }));
  } catch {
    throw invalid('statement_signature', 'software_statement signature or validity could not be verified');
  }
  const metadata = Object.fromEntries(Object.entries(payload).filter(([name]) => !JWT_CLAIMS.has(name)));
  return { statement, iss, metadata };
}

/** The claims of a statement verified at registration, re-applied on an RFC 7592 update. */
export function storedStatementClaims(statement: string): Record<string, unknown> {
  const payload = decodeJwt(statement);
  return Object.fromEntries(Object.entries(payload).filter(([name]) => !JWT_CLAIMS.has(name)));
}

function invalid(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_software_statement', { reason, description });
}
