import { OAuthError, verifyCodeVerifier } from '@gatehouse-oauth/core';
import { requireBoundDpopKey } from '../dpop/dpop-binding.ts';
import type { AuthorizationCodeRecord } from '../store/store.ts';
import type { TokenRequest } from './token-request.ts';

/**
 * What a token request must match of the code it presents (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9449
 * §10), checked in this order so that each refusal names its own cause: the client the code was
 * issued to, its lifetime (`now`; a retry of a redemption that was in time is not checked again),
 * the redirect_uri of the authorization request, the PKCE verifier, the DPoP key the code is bound
 * to. Throws the refusal.
 */
export function checkCodeRequest(
  request: TokenRequest,
  record: AuthorizationCodeRecord,
  now: number | undefined,
): void {
  const invalid = (reason: string, description: string) =>
    new OAuthError('invalid_grant', { reason, description });
  // RFC 6749 §4.1.3: the code must have been issued to the authenticated client.
  if (record.clientId !== request.client.clientId)
    throw invalid('code_client_mismatch', 'the authorization code was issued to another client');
  if (now !== undefined && record.expiresAt <= now)
    throw invalid('code_expired', 'the authorization code has expired');
  // RFC 6749 §4.1.3: redirect_uri must be identical to the one in the authorization request.
  const redirectUri = request.parameters.get('redirect_uri');
  if (
    record.redirectUriSent
      ? redirectUri !== record.redirectUri
      : redirectUri !== undefined && redirectUri !== record.redirectUri
  ) {
    throw invalid('redirect_uri_mismatch', 'redirect_uri does not match the authorization request');
  }
  verifyCodeVerifier(request.parameters.get('code_verifier'), record.codeChallenge);
  // RFC 9449 §10: a code authorized with dpop_jkt (or pushed with a proof) is redeemed only with a
  // proof of that key.
  requireBoundDpopKey(record.dpopJkt, request.dpop, 'authorization code');
}
