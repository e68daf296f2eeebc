import {
  type DpopNonces,
  dpopReplayKey,
  isDpopNonceError,
  isOAuthError,
  OAuthError,
  verifyDpopProof,
} from '@gatehouse-oauth/core';
import type { TokenScheme } from './authorization-header.ts';
import { Refused } from './challenge.ts';
import type { ReplayGuard } from './replay-memory.ts';
import { invalidToken, type VerifiedToken } from './verified-token.ts';

/** DPoP proofs are refused when older than this (RFC 9449 §11.1; the core default). */
export const DPOP_MAX_AGE_SECONDS = 300;

export interface DpopBindingOptions {
  /** This resource's identifier: its origin is the origin of every `htu` (§4.3 step 9). */
  resourceUrl: URL;
  /** Bearer tokens are refused outright. */
  required: boolean;
  algorithms: readonly string[];
  /** Server nonces (§9), when configured. */
  nonces: DpopNonces | undefined;
  replay: ReplayGuard;
  clockSkewSeconds: number;
}

/** Checks a request's token against its scheme; for DPoP, the proof (RFC 9449 §7). */
export type DpopBindingCheck = (
  request: Request,
  scheme: TokenScheme,
  token: string,
  verified: VerifiedToken,
  at: number,
) => Promise<Record<string, string>>;

/**
 * The DPoP binding of an access token at the resource server (RFC 9449 §7, AT-11): a DPoP-bound
 * token only with the DPoP scheme and a valid proof signed by its key, used once; a Bearer token
 * only when DPoP is not required. Resolves to the headers for the successful response (the next
 * nonce, §8.2); throws `Refused` otherwise.
 */
export function createDpopBindingCheck(options: DpopBindingOptions): DpopBindingCheck {
  const { resourceUrl, nonces, replay } = options;
  const dpopRequired = options.required;
  const dpopAlgorithms = options.algorithms;
  const skew = options.clockSkewSeconds;
  return async (request, scheme, token, verified, at) => {
    const refuse = (error: OAuthError, headers?: Record<string, string>): never => {
      throw new Refused({ error, schemes: ['DPoP'], withError: true, ...(headers ? { headers } : {}) });
    };
    if (scheme === 'Bearer') {
      // RFC 9449 §7.2: a DPoP-bound token presented as a Bearer token is refused; otherwise
      // whoever stole it could use it without the key.
      if (verified.jkt !== undefined) {
        refuse(invalidToken('token_dpop_bound', 'this access token is DPoP-bound: use the DPoP scheme'));
      }
      if (dpopRequired) refuse(invalidToken('dpop_required', 'this resource accepts DPoP-bound tokens only'));
      return {};
    }
    // RFC 9449 §7.1: the DPoP scheme is only for DPoP-bound tokens.
    if (verified.jkt === undefined) {
      refuse(
        invalidToken('token_not_dpop_bound', 'this access token is not DPoP-bound: use the Bearer scheme'),
      );
    }
    const proof = request.headers.get('dpop');
    if (proof === null || proof === '') {
      refuse(dpopError('dpop_proof_missing', 'a DPoP proof is required with a DPoP-bound access token'));
    }
    // §4.3 step 1: exactly one DPoP header; fetch joins repeated headers with ", ".
    if (proof!.includes(',')) refuse(dpopError('dpop_multiple', 'exactly one DPoP header is allowed'));
    let checked: Awaited<ReturnType<typeof verifyDpopProof>>;
    try {
      checked = await verifyDpopProof(proof!, {
        htm: request.method,
        // §4.3 step 9: htu is this resource's public origin and the request path. The origin comes
        // from the resource identifier, not the Host header or the socket, so a TLS-terminating
        // proxy in front (the request arrives as http://10.0.0.5:3000/mcp) changes nothing.
        htu: `${resourceUrl.origin}${new URL(request.url).pathname}`,
        accessToken: token, // §4.3 step 12: ath
        ...(nonces === undefined ? {} : { nonce: nonces.predicate(at) }),
        now: at,
        maxAgeSeconds: DPOP_MAX_AGE_SECONDS,
        clockSkewSeconds: skew,
        algorithms: dpopAlgorithms,
      });
    } catch (error) {
      // §9: the resource server asks for a (fresh) nonce with 401 use_dpop_nonce and DPoP-Nonce.
      if (isDpopNonceError(error)) refuse(error, { 'DPoP-Nonce': nonces!.current(at) });
      if (isOAuthError(error)) refuse(error);
      throw error;
    }
    // §7.1: the proof is made with the key the token is bound to (cnf.jkt, §6.1).
    if (checked!.jkt !== verified.jkt) {
      refuse(dpopError('dpop_key_mismatch', 'the DPoP proof is not signed by the key the token is bound to'));
    }
    // §11.1, AT-11: a proof is used once. Remembered only after every other check passed, so a
    // refused proof does not burn its jti; kept until the proof would be too old anyway.
    const expiresAt = (checked!.iat + DPOP_MAX_AGE_SECONDS + skew) * 1000;
    if (!(await replay.remember(dpopReplayKey(checked!), expiresAt, at))) {
      refuse(dpopError('dpop_replay', 'this DPoP proof has been used before'));
    }
    // §8.2: a successful response may carry the next nonce so the client rotates before expiry.
    return nonces === undefined ? {} : { 'DPoP-Nonce': nonces.current(at) };
  };
}

function dpopError(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_dpop_proof', { reason, description, status: 401 });
}
