import {
  dpopReplayKey,
  isDpopNonceError,
  OAuthError,
  type VerifiedDpopProof,
  verifyDpopProof,
} from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { DPOP_CLOCK_SKEW_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS } from './dpop-settings.ts';

/**
 * The DPoP proof of one request at the authorization server (RFC 9449 §4.3, §5, §8; docs/dpop.md),
 * around core's pure `verifyDpopProof` (decision 0011):
 * 1. exactly one `DPoP` header (§4.3 step 1); none means "no DPoP" and answers undefined;
 * 2. every §4.3 check, with the configured alg allow-list and, when nonces are required, the
 *    stateless nonce of this window (§8; checked last of the proof checks);
 * 3. the proof is remembered in the shared replay store as `dpop:<iat second>:<jkt>:<jti>`
 *    (`dpopReplayKey`, decision 0050) until it could no longer pass the iat check anyway; a second
 *    use, on any instance, is refused (§11.1, AT-11).
 *
 * Callers run this BEFORE client authentication (issue #5): a `use_dpop_nonce` retry then never
 * burns a client assertion's jti. A nonce refusal is a 400 `use_dpop_nonce` carrying a fresh
 * `DPoP-Nonce` header (§8); every other refusal is a 400 `invalid_dpop_proof`.
 */
export interface DpopTarget {
  /** The request method (§4.3 step 8). */
  htm: string;
  /** The endpoint's public URI, from the issuer, never the Host header (§4.3 step 9). */
  htu: string;
  /** The access token sent with the request (resource access only): `ath` must match (§4.3 step 12). */
  accessToken?: string;
}

export async function checkDpop(
  request: Request,
  target: DpopTarget,
  ctx: Pick<ServerContext, 'dpop' | 'store'>,
  now: number,
): Promise<VerifiedDpopProof | undefined> {
  const header = request.headers.get('dpop');
  if (header === null) return undefined;
  // Headers joins repeated fields with ", "; a JWS in compact form contains neither.
  if (header.includes(',') || header.trim() === '') {
    throw new OAuthError('invalid_dpop_proof', {
      reason: 'dpop_multiple',
      description: 'send exactly one DPoP header with one proof',
    });
  }
  const nonces = await ctx.dpop.nonces();
  let proof: VerifiedDpopProof;
  try {
    proof = await verifyDpopProof(header.trim(), {
      htm: target.htm,
      htu: target.htu,
      ...(target.accessToken === undefined ? {} : { accessToken: target.accessToken }),
      ...(nonces === undefined ? {} : { nonce: nonces.predicate(now) }),
      now,
      maxAgeSeconds: DPOP_PROOF_MAX_AGE_SECONDS,
      clockSkewSeconds: DPOP_CLOCK_SKEW_SECONDS,
      algorithms: ctx.dpop.algorithms,
    });
  } catch (error) {
    if (isDpopNonceError(error) && nonces !== undefined) {
      // §8: the client retries with this nonce; the rejected proof's jti was never recorded.
      throw new OAuthError('use_dpop_nonce', {
        reason: error.reason,
        description: error.description ?? 'use the DPoP-Nonce of this response',
        headers: { 'dpop-nonce': nonces.current(now) },
      });
    }
    throw error;
  }
  // §11.1: a proof is used once. The entry lives just past the last moment its iat would pass.
  const expiresAt = (proof.iat + DPOP_PROOF_MAX_AGE_SECONDS + DPOP_CLOCK_SKEW_SECONDS + 1) * 1000;
  if (!(await ctx.store.replay.remember(dpopReplayKey(proof), Math.ceil(expiresAt), now))) {
    throw new OAuthError('invalid_dpop_proof', {
      reason: 'dpop_replay',
      description: 'this DPoP proof (jti) was already used',
    });
  }
  return proof;
}

/**
 * The `DPoP-Nonce` header of the current window, or nothing when nonces are off. Sent with
 * successful responses to DPoP requests, so the client has the next nonce before its current one
 * goes stale (§8.2), and with refusals that ask for a proof.
 */
export async function dpopNonceHeader(
  ctx: Pick<ServerContext, 'dpop'>,
  now: number,
): Promise<Record<string, string>> {
  const nonces = await ctx.dpop.nonces();
  return nonces === undefined ? {} : { 'dpop-nonce': nonces.current(now) };
}

/**
 * The refusal of a request that must carry a DPoP proof and carries none (400 `invalid_dpop_proof`,
 * reason `dpop_required`, or `dpop_required_by_tier` when the client's trust tier asks for it),
 * with the current nonce so the retry needs no `use_dpop_nonce` round trip (§8). `description`
 * says which rule asked for the proof.
 */
export async function dpopRequired(
  ctx: Pick<ServerContext, 'dpop'>,
  now: number,
  description: string,
  reason: 'dpop_required' | 'dpop_required_by_tier' = 'dpop_required',
): Promise<OAuthError> {
  return new OAuthError('invalid_dpop_proof', {
    reason,
    description,
    headers: await dpopNonceHeader(ctx, now),
  });
}
