import { OAuthError } from '@gatehouse-oauth/core';

/** What local verification and introspection both produce: one shape for the checks that follow. */
export interface VerifiedToken {
  clientId: string;
  subject: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  /** RFC 9449 §6: the thumbprint the token is bound to (`cnf.jkt`), when it is DPoP-bound. */
  jkt?: string;
  /** The JWT claims, or the introspection response. */
  claims: Record<string, unknown>;
}

/** Every refusal of the token itself: 401 `invalid_token` (RFC 6750 §3.1) with a stable reason. */
export function invalidToken(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_token', { reason, description });
}

/** RFC 9449 §6.1: `cnf` with a `jkt` member; anything else in `cnf` (x5t#S256, jwk) is not ours. */
export function confirmationThumbprint(claims: Record<string, unknown>): string | undefined | null {
  const cnf = claims.cnf;
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return null;
  const jkt = (cnf as Record<string, unknown>).jkt;
  if (jkt === undefined) return null;
  return typeof jkt === 'string' && /^[A-Za-z0-9_-]{43}$/.test(jkt) ? jkt : null;
}

/** RFC 6749 §3.3 scope string → tokens (order and duplicates carry no meaning). */
export function scopeTokens(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (typeof value !== 'string') return undefined;
  return [...new Set(value.split(' ').filter((token) => token !== ''))];
}

/** `aud` (string or array, RFC 7519 §4.1.3) contains the resource, compared exactly (MCP-10). */
export function audienceContains(aud: unknown, resource: string): boolean {
  if (typeof aud === 'string') return aud === resource;
  return Array.isArray(aud) && aud.some((value) => value === resource);
}
