import {
  OAuthError,
  readRepeatedParameter,
  requireParameter,
  verifyCodeVerifier,
} from '@gatehouse-oauth/core';
import { digest } from '../crypto/digest.ts';
import { requireBoundDpopKey } from '../dpop/dpop-binding.ts';
import type { ClientTier } from '../governance/tier-policy.ts';
import type { TokenFamilyRecord } from '../store/store.ts';
import { recordClientUse } from '../tokens/client-use.ts';
import {
  isConfidentialAuthentication,
  issueLifetimes,
  issuesRefreshTokens,
  mintRefreshToken,
  type TokenResponse,
  tokenResponse,
} from '../tokens/token-response.ts';
import { requireUserInGoodStanding } from '../users/user-standing.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';
import { narrowGrant } from './token-request-resources.ts';

/**
 * grant_type=authorization_code, RFC 6749 §4.1.3 with OAuth 2.1 §4.1.3 and RFC 7636 §4.6.
 * The code is burnt first (atomically, at most once ever); only then is it checked, so a failed
 * attempt cannot be retried with another verifier. A second redemption revokes everything the
 * first produced (RFC 6749 §4.1.2, RFC 9700 §4.2.4). The client's trust tier (issue #13) sets the
 * lifetimes, whether a refresh token is issued, and bounds the resources and scope of the tokens.
 */
export async function authorizationCodeGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
): Promise<TokenResponse> {
  const { parameters, client, authentication } = request;
  const code = requireParameter(parameters, 'code');
  const now = ctx.clock();
  const familyId = crypto.randomUUID();
  const result = await ctx.store.authorizationCodes.redeem(digest(code), familyId, now);
  const invalid = (reason: string, description: string) =>
    new OAuthError('invalid_grant', { reason, description });

  if (result.outcome === 'unknown') throw invalid('code_unknown', 'the authorization code is invalid');
  if (result.outcome === 'reused') {
    if (result.code.familyId !== undefined)
      await ctx.store.tokenFamilies.revoke(result.code.familyId, 'code_reused', now);
    await ctx.audit({
      type: 'code.reused',
      clientId: result.code.clientId,
      userId: result.code.userId,
      reason: 'code_reused',
      detail: { family_id: result.code.familyId, presented_by: client.clientId },
    });
    throw invalid('code_reused', 'the authorization code was already used');
  }
  const record = result.code;
  // RFC 6749 §4.1.3: the code must have been issued to the authenticated client.
  if (record.clientId !== client.clientId)
    throw invalid('code_client_mismatch', 'the authorization code was issued to another client');
  if (record.expiresAt <= now) throw invalid('code_expired', 'the authorization code has expired');
  // RFC 6749 §4.1.3: redirect_uri must be identical to the one in the authorization request.
  const redirectUri = parameters.get('redirect_uri');
  if (
    record.redirectUriSent
      ? redirectUri !== record.redirectUri
      : redirectUri !== undefined && redirectUri !== record.redirectUri
  ) {
    throw invalid('redirect_uri_mismatch', 'redirect_uri does not match the authorization request');
  }
  verifyCodeVerifier(parameters.get('code_verifier'), record.codeChallenge);
  // RFC 9449 §10: a code authorized with dpop_jkt (or pushed with a proof) is redeemed only with a
  // proof of that key. After the burn, like PKCE: a stolen code gets no second try with another key.
  requireBoundDpopKey(record.dpopJkt, request.dpop, 'authorization code');
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
    id: familyId,
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
  await ctx.store.tokenFamilies.create(family);
  const refresh = issuesRefreshTokens(client, tier.policy)
    ? mintRefreshToken(ctx, family, lifetimes.refreshTokenSeconds)
    : undefined;
  if (refresh !== undefined) await ctx.store.refreshTokens.create(refresh.record);
  await ctx.audit({
    type: 'token.issued',
    clientId: client.clientId,
    userId: record.userId,
    detail: {
      grant_type: 'authorization_code',
      family_id: familyId,
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
