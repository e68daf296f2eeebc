import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from './oauth-error.ts';

/**
 * PKCE, RFC 7636, as OAuth 2.1 §4.1.1 and §7.5.1 require it: every authorization request carries a
 * code_challenge, and only S256 is accepted (`plain` offers no protection once the request leaks).
 */
export const SUPPORTED_CODE_CHALLENGE_METHODS = ['S256'] as const;

// RFC 7636 §4.1: code_verifier = 43*128unreserved. A base64url SHA-256 challenge is exactly 43 chars.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

export function validateCodeChallenge(challenge: string | undefined, method: string | undefined): string {
  if (challenge === undefined) {
    throw new OAuthError('invalid_request', {
      reason: 'pkce_missing',
      description: 'code_challenge is required (PKCE, S256)',
      redirectable: true,
    });
  }
  // RFC 7636 §4.3: an absent method means "plain", which OAuth 2.1 servers may refuse; we do.
  if (method !== 'S256') {
    throw new OAuthError('invalid_request', {
      reason: 'pkce_method_unsupported',
      description: 'code_challenge_method must be S256',
      redirectable: true,
    });
  }
  if (!S256_CHALLENGE.test(challenge)) {
    throw new OAuthError('invalid_request', {
      reason: 'pkce_challenge_malformed',
      description: 'code_challenge must be a base64url SHA-256 digest',
      redirectable: true,
    });
  }
  return challenge;
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, in constant time. */
export function verifyCodeVerifier(verifier: string | undefined, challenge: string): void {
  if (verifier === undefined) {
    throw new OAuthError('invalid_grant', {
      reason: 'pkce_verifier_missing',
      description: 'code_verifier is required',
    });
  }
  if (!VERIFIER.test(verifier)) {
    throw new OAuthError('invalid_grant', {
      reason: 'pkce_verifier_malformed',
      description: 'code_verifier is malformed',
    });
  }
  const expected = Buffer.from(challenge);
  const actual = Buffer.from(s256(verifier));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new OAuthError('invalid_grant', {
      reason: 'pkce_mismatch',
      description: 'code_verifier does not match code_challenge',
    });
  }
}
