import { OAuthError, readRepeatedParameter, requireParameter } from '@gatehouse-oauth/core';
import { digest } from '../crypto/digest.ts';
import type { ClientTier } from '../governance/tier-policy.ts';
import type { AuthorizationCodeRecord, TokenFamilyRecord } from '../store/store.ts';
import { recordClientUse } from '../tokens/client-use.ts';
import {
  type IssueLifetimes,
  isConfidentialAuthentication,
  issueLifetimes,
  issuesRefreshTokens,
  mintRefreshToken,
  type TokenResponse,
  tokenResponse,
} from '../tokens/token-response.ts';
import { requireUserInGoodStanding } from '../users/user-standing.ts';
import { checkCodeRequest } from './code-checks.ts';
import { answerCodeRetry, refuseCodeReuse } from './code-retry.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';
import { narrowGrant } from './token-request-resources.ts';

/**
 * grant_type=authorization_code, RFC 6749 §4.1.3 with OAuth 2.1 §4.1.3 and RFC 7636 §4.6. The code is
 * read and checked; a refused attempt burns it (at most once ever), so it cannot be retried with
 * another verifier; an accepted one is exchanged in ONE transaction, the code marked, its family and
 * first refresh token stored together (decision 0036; issue #18 found three commits leaving codes
 * used with no tokens). A code presented again after that is the client's retry, answered the same
 * (./code-retry.ts), or a reuse, which revokes what the first produced (RFC 6749 §4.1.2, RFC 9700
 * §4.2.4). The client's trust tier (issue #13) sets the lifetimes, whether a refresh token is issued,
 * and bounds the resources and scope of the tokens.
 */
export async function authorizationCodeGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
): Promise<TokenResponse> {
  const { client } = request;
  const code = requireParameter(request.parameters, 'code');
  const now = ctx.clock();
  const record = await ctx.store.authorizationCodes.get(digest(code));
  if (record === undefined) {
    throw new OAuthError('invalid_grant', {
      reason: 'code_unknown',
      description: 'the authorization code is invalid',
    });
  }
  if (record.redeemedAt !== undefined) return answerCodeRetry(ctx, request, tier, code, record, now);

  let accepted: Awaited<ReturnType<typeof acceptRedemption>>;
  try {
    accepted = await acceptRedemption(ctx, request, tier, record, now);
  } catch (error) {
    // A refusal burns the code; an outage (not an OAuthError) leaves it, so the retry can succeed.
    if (error instanceof OAuthError) await burn(ctx, request, record, now);
    throw error;
  }
  const { family, granted, lifetimes } = accepted;
  const refresh = issuesRefreshTokens(client, tier.policy)
    ? mintRefreshToken(
        ctx,
        family,
        lifetimes.refreshTokenSeconds,
        await ctx.refreshTokenDerivation.ofCode(code),
      )
    : undefined;
  const result = await ctx.store.authorizationCodes.exchange(record.digest, {
    family,
    ...(refresh === undefined ? {} : { refreshToken: refresh.record }),
    now,
  });
  // Removed with its client since it was read; or redeemed by a concurrent request meanwhile.
  if (result.outcome === 'unknown') {
    throw new OAuthError('invalid_grant', {
      reason: 'code_unknown',
      description: 'the authorization code is invalid',
    });
  }
  if (result.outcome === 'reused') return answerCodeRetry(ctx, request, tier, code, result.code, now);

  await ctx.audit({
    type: 'token.issued',
    clientId: client.clientId,
    userId: record.userId,
    detail: {
      grant_type: 'authorization_code',
      family_id: family.id,
      scope: granted.scope,
      resources: granted.resources,
    },
  });
  await recordClientUse(ctx, client, now);
  return tokenResponse(ctx, family, granted, {
    refreshToken: refresh?.value,
    dpopJkt: request.dpop?.jkt,
    accessTokenSeconds: lifetimes.accessTokenSeconds,
  });
}

/**
 * Every check of a first redemption (./code-checks.ts, then the user's standing and the tier's
 * bounds on resources and scope), and what it will store: the family, as the code, client and
 * request make it. Throws the refusal.
 */
async function acceptRedemption(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
  record: AuthorizationCodeRecord,
  now: number,
): Promise<{
  family: TokenFamilyRecord;
  granted: { scope: string[]; resources: string[] };
  lifetimes: IssueLifetimes;
}> {
  const { parameters, authentication } = request;
  checkCodeRequest(request, record, now);
  // A code issued just before its account was disabled or removed gets no tokens (issue #16).
  await requireUserInGoodStanding(ctx, record.userId);
  const granted = await narrowGrant(
    ctx,
    parameters,
    readRepeatedParameter(request.raw, 'resource'),
    record,
    tier,
  );
  const confidential = isConfidentialAuthentication(authentication.method);
  const lifetimes = issueLifetimes(ctx, confidential, tier.policy);
  const family: TokenFamilyRecord = {
    id: crypto.randomUUID(),
    grantId: record.grantId,
    clientId: record.clientId,
    userId: record.userId,
    scope: record.scope,
    resources: record.resources,
    authTime: record.authTime,
    createdAt: now,
    // AT-10: confidential clients' sessions may last longer than public clients' (unless the tier
    // sets the lifetime).
    expiresAt: now + lifetimes.tokenFamilySeconds * 1000,
    // AT-9, CIMD-CHG-3: a confidential session is bound to the key it started with; every refresh
    // must be signed by that key (refresh-token-grant.ts, decision 0008).
    ...(authentication.method === 'private_key_jwt' && authentication.keyThumbprint !== undefined
      ? { clientKeyThumbprint: authentication.keyThumbprint }
      : {}),
    // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key (a confidential
    // client's are bound to its client authentication instead, docs/dpop.md).
    ...(request.dpop !== undefined && !confidential ? { dpopJkt: request.dpop.jkt } : {}),
  };
  return { family, granted, lifetimes };
}

/**
 * Burns a code whose redemption was refused, with a family id nothing will ever create, so that a
 * later presentation is a reuse. When another request redeemed it meanwhile, this attempt is a
 * second use: refused as one, revoking what the first produced.
 */
async function burn(
  ctx: GrantDeps,
  request: TokenRequest,
  record: AuthorizationCodeRecord,
  now: number,
): Promise<void> {
  const result = await ctx.store.authorizationCodes.redeem(record.digest, crypto.randomUUID(), now);
  if (result.outcome === 'reused') await refuseCodeReuse(ctx, request, result.code, now);
}
