import { OAuthError } from '@gatehouse-oauth/core';

/**
 * The `Authorization` request header at a resource server: RFC 6750 §2.1 (`Bearer`) and RFC 9449
 * §7.1 (`DPoP`). Only the header method is supported (`bearer_methods_supported: ["header"]` in the
 * protected resource metadata); a token in the query or the body is simply not looked at.
 */
export type TokenScheme = 'Bearer' | 'DPoP';

export type AuthorizationCredentials =
  /** No header, or a scheme this server does not take (RFC 6750 §3.1: answer without an error code). */
  | { kind: 'none'; reason: 'token_missing' | 'token_scheme_unsupported' }
  | { kind: 'token'; scheme: TokenScheme; token: string };

/**
 * RFC 6750 §2.1 `b64token` (also the `token68` of RFC 9110 §11.2, which RFC 9449 §7.1 uses):
 * 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A JWT access token is a few KiB at most; anything far larger is refused before any work. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Parses the header value. A malformed value (scheme without a token, extra parts, characters a
 * b64token cannot have, a comma-joined second header) is `invalid_request` (400, RFC 6750 §3.1).
 * The scheme name is case-insensitive (RFC 9110 §11.1).
 */
export function parseAuthorization(value: string | null): AuthorizationCredentials {
  if (value === null || value.trim() === '') return { kind: 'none', reason: 'token_missing' };
  const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: +(.*))?$/.exec(value.trim());
  const schemeName = match?.[1]?.toLowerCase();
  const scheme: TokenScheme | undefined =
    schemeName === 'bearer' ? 'Bearer' : schemeName === 'dpop' ? 'DPoP' : undefined;
  if (match === null || schemeName === undefined) throw malformed();
  if (scheme === undefined) return { kind: 'none', reason: 'token_scheme_unsupported' };
  const token = match[2] ?? '';
  if (token === '' || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) throw malformed();
  return { kind: 'token', scheme, token };
}

function malformed(): OAuthError {
  return new OAuthError('invalid_request', {
    reason: 'authorization_malformed',
    description: 'the Authorization header is not "Bearer <token>" or "DPoP <token>"',
  });
}
