import { OAuthError } from '@gatehouse-oauth/core';

/**
 * RFC 6750 §2.1 bearer credentials, for the initial access token (RFC 7591 §3) and the
 * registration access token (RFC 7592 §2). Failures are 401 `invalid_token` with a Bearer
 * challenge (DCR-ERR-3, DCR-MG-5); a request without credentials gets the challenge without an
 * error attribute (RFC 6750 §3.1), and the same JSON body.
 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = BEARER.exec(header.trim());
  if (match === null) throw invalidToken('bearer_malformed', 'malformed Bearer credentials');
  return match[1];
}

export function invalidToken(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_token', {
    reason,
    description,
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  });
}

export function missingToken(description: string): OAuthError {
  return new OAuthError('invalid_token', {
    reason: 'token_missing',
    description,
    headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
  });
}
