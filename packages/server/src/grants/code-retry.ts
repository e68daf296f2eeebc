import { OAuthError, readRepeatedParameter } from '@gatehouse-oauth/core';
import type { ClientTier } from '../governance/tier-policy.ts';
import { refreshTokenDigest } from '../store/refresh-token-key.ts';
import type { AuthorizationCodeRecord, TokenFamilyRecord } from '../store/store.ts';
import { recordClientUse } from '../tokens/client-use.ts';
import {
  isConfidentialAuthentication,
  issueLifetimes,
  replayWindow,
  type TokenResponse,
  tokenResponse,
} from '../tokens/token-response.ts';
import { requireUserInGoodStanding } from '../users/user-standing.ts';
import { checkCodeRequest } from './code-checks.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';
import { narrowGrant } from './token-request-resources.ts';

/**
 * A code presented again after its redemption committed (decision 0036). RFC 6749 §4.1.2 refuses a
 * second use and revokes what the first produced (RFC 9700 §4.2.4), which is right for a stolen
 * code but punished the client's own retry of an exchange whose answer it never got (issue #18: a
 * 503 after the commit, a crash between commit and answer). So a retry is answered with the same
 * session and the same first refresh token (derived from the code, never a second chain) when it is
 * the same redemption again: within `lifetimes.refreshGraceSeconds` of it, at most
 * `lifetimes.refreshReuseCount` times, from the same client with the same redirect_uri, PKCE verifier
 * (which never left the client) and keys, its session still live. Past the count it is refused and
 * the session kept (`code_replay_limit`); anything else is the reuse RFC 6749 §4.1.2 means.
 */
export async function answerCodeRetry(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
  code: string,
  record: AuthorizationCodeRecord,
  now: number,
): Promise<TokenResponse> {
  const family =
    record.familyId === undefined ? undefined : await ctx.store.tokenFamilies.get(record.familyId);
  if (family === undefined || family.revokedAt !== undefined || !isSameRedemption(request, record, family))
    return refuseCodeReuse(ctx, request, record, now);
  await requireUserInGoodStanding(ctx, record.userId);
  const granted = await narrowGrant(
    ctx,
    request.parameters,
    readRepeatedParameter(request.raw, 'resource'),
    family,
    tier,
  );
  // The first answer's refresh token, if it had one: the one stored for this family under the value
  // the code derives.
  const refreshToken = await ctx.refreshTokenDerivation.ofCode(code);
  const stored = await ctx.store.refreshTokens.get(refreshTokenDigest(refreshToken));
  // Counted last, so that a failure before it (a 503) does not spend the client's retry.
  const result = await ctx.store.authorizationCodes.replay(record.digest, now, replayWindow(ctx));
  if (result.outcome === 'reused' || result.outcome === 'unknown')
    return refuseCodeReuse(ctx, request, record, now);
  if (result.outcome === 'replay_refused') {
    throw new OAuthError('invalid_grant', {
      reason: 'code_replay_limit',
      description:
        'the authorization code was already redeemed, and its retries answered; use the tokens of the first answer',
    });
  }
  await ctx.audit({
    type: 'token.issued',
    clientId: request.client.clientId,
    userId: family.userId,
    detail: { grant_type: 'authorization_code', family_id: family.id, replay: true, ...granted },
  });
  await recordClientUse(ctx, request.client, now);
  const lifetimes = issueLifetimes(
    ctx,
    isConfidentialAuthentication(request.authentication.method),
    tier.policy,
  );
  return tokenResponse(ctx, family, granted, {
    refreshToken: stored?.familyId === family.id ? refreshToken : undefined,
    dpopJkt: request.dpop?.jkt,
    accessTokenSeconds: lifetimes.accessTokenSeconds,
  });
}

/** Whether a retry is the redemption that committed, made again: every check passes as it did then. */
function isSameRedemption(
  request: TokenRequest,
  record: AuthorizationCodeRecord,
  family: TokenFamilyRecord,
): boolean {
  try {
    checkCodeRequest(request, record, undefined);
  } catch (error) {
    if (error instanceof OAuthError) return false;
    throw error;
  }
  const { authentication, dpop } = request;
  // The keys the session was bound to by the first answer (AT-9; RFC 9449 §5).
  if (family.clientKeyThumbprint !== undefined && authentication.keyThumbprint !== family.clientKeyThumbprint)
    return false;
  return family.dpopJkt === undefined || dpop?.jkt === family.dpopJkt;
}

/**
 * RFC 6749 §4.1.2: a code used twice is refused, and what the first use produced is revoked
 * (RFC 9700 §4.2.4), even when its family is not written yet (the tombstone of TokenFamilyStore).
 */
export async function refuseCodeReuse(
  ctx: GrantDeps,
  request: TokenRequest,
  record: AuthorizationCodeRecord,
  now: number,
): Promise<never> {
  if (record.familyId !== undefined)
    await ctx.store.tokenFamilies.revoke(record.familyId, 'code_reused', now);
  await ctx.audit({
    type: 'code.reused',
    clientId: record.clientId,
    userId: record.userId,
    reason: 'code_reused',
    detail: { family_id: record.familyId, presented_by: request.client.clientId },
  });
  throw new OAuthError('invalid_grant', {
    reason: 'code_reused',
    description: 'the authorization code was already used',
  });
}
