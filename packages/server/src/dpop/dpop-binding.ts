import { OAuthError } from '@gatehouse-oauth/core';

/**
 * Key binding of a grant (RFC 9449 §5 refresh tokens of public clients, §10 `dpop_jkt` and the
 * authorization code): a grant bound to a key thumbprint may only be used with a DPoP proof made
 * with that key. Refused as `invalid_grant`: the proof itself is valid, it is the grant that
 * belongs to another key (docs/dpop.md).
 */
export function requireBoundDpopKey(
  bound: string | undefined,
  presented: { jkt: string } | undefined,
  grant: 'authorization code' | 'refresh token',
): void {
  if (bound === undefined) return;
  if (presented === undefined) {
    throw new OAuthError('invalid_grant', {
      reason: 'dpop_proof_required',
      description: `the ${grant} is bound to a DPoP key; send a DPoP proof made with it`,
    });
  }
  if (presented.jkt !== bound) {
    throw new OAuthError('invalid_grant', {
      reason: 'dpop_key_mismatch',
      description: `the ${grant} is bound to another DPoP key`,
    });
  }
}
