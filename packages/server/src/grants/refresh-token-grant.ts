import { OAuthError, readRepeatedParameter, requireParameter } from '@gatehouse/core';
import type { ServerContext } from '../context.ts';
import { digest } from '../crypto/digest.ts';
import { mintRefreshToken, type TokenResponse, tokenResponse } from '../tokens/token-response.ts';
import type { TokenRequest } from './token-request.ts';
import { narrowGrant } from './token-request-resources.ts';

/**
 * grant_type=refresh_token, RFC 6749 §6 with OAuth 2.1 §4.3 and RFC 9700 §4.14.2: refresh tokens
 * rotate on every use; presenting a used one (outside the short grace window for parallel
 * refreshes, see RefreshTokenStore.rotate) is treated as theft and revokes the whole family.
 */
export async function refreshTokenGrant(ctx: ServerContext, request: TokenRequest): Promise<TokenResponse> {
  const { parameters, client } = request;
  const presented = requireParameter(parameters, 'refresh_token');
  const now = ctx.clock();
  const invalid = (reason: string, description: string) =>
    new OAuthError('invalid_grant', { reason, description });

  const stored = await ctx.store.refreshTokens.get(digest(presented));
  if (stored === undefined) throw invalid('refresh_token_unknown', 'the refresh token is invalid');
  const family = await ctx.store.tokenFamilies.get(stored.familyId);
  if (family === undefined) throw invalid('refresh_token_unknown', 'the refresh token is invalid');
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
  if (family.clientId !== client.clientId)
    throw invalid('refresh_client_mismatch', 'the refresh token was issued to another client');
  if (family.revokedAt !== undefined) throw invalid('family_revoked', 'the refresh token has been revoked');
  if (stored.expiresAt <= now || family.expiresAt <= now)
    throw invalid('refresh_token_expired', 'the refresh token has expired');
  const granted = narrowGrant(ctx, parameters, readRepeatedParameter(request.raw, 'resource'), family);

  const next = mintRefreshToken(ctx, family);
  const result = await ctx.store.refreshTokens.rotate(
    stored.digest,
    next.record,
    now,
    ctx.lifetimes.refreshGraceSeconds * 1000,
  );
  if (result.outcome === 'unknown') throw invalid('refresh_token_unknown', 'the refresh token is invalid');
  if (result.outcome === 'reused') {
    await ctx.store.tokenFamilies.revoke(family.id, 'refresh_token_reused', now);
    await ctx.audit({
      type: 'refresh_token.reused',
      clientId: client.clientId,
      userId: family.userId,
      reason: 'refresh_token_reused',
      detail: { family_id: family.id },
    });
    throw invalid('refresh_token_reused', 'the refresh token was already used; the session is revoked');
  }
  await ctx.audit({
    type: 'token.issued',
    clientId: client.clientId,
    userId: family.userId,
    detail: {
      grant_type: 'refresh_token',
      family_id: family.id,
      in_grace: result.outcome === 'rotated_in_grace',
    },
  });
  return tokenResponse(ctx, family, granted, next.value);
}
