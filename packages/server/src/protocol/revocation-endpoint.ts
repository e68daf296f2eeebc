import { requireParameter } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { refreshTokenDigest } from '../store/refresh-token-key.ts';
import { verifyOwnAccessToken } from '../tokens/access-token.ts';
import { clientAuthenticatedEndpoint } from './client-authenticated-request.ts';

/**
 * Token revocation, RFC 7009. The client authenticates (§2.1) and may revoke only its own tokens.
 * Revoking a refresh token revokes its whole family (§2.1: "SHOULD also invalidate all access tokens
 * based on the same authorization grant"); revoking an access token denies its `jti` until it
 * expires. Unknown, invalid or foreign tokens still get 200 (§2.2), so the endpoint tells nothing.
 */
export function revocationEndpoint(ctx: ServerContext) {
  return clientAuthenticatedEndpoint(ctx, async ({ form, authentication: { client } }) => {
    const token = requireParameter(form.parameters, 'token');
    const now = ctx.clock();
    const hint = form.parameters.get('token_type_hint');
    // The hint only orders the lookups (§2.1); an unknown hint is ignored.
    const order = hint === 'access_token' ? [revokeAccess, revokeRefresh] : [revokeRefresh, revokeAccess];
    for (const attempt of order) {
      if (await attempt(ctx, client.clientId, token, now)) break;
    }
    return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
  });
}

async function revokeRefresh(
  ctx: ServerContext,
  clientId: string,
  token: string,
  now: number,
): Promise<boolean> {
  const stored = await ctx.store.refreshTokens.get(refreshTokenDigest(token));
  if (stored === undefined) return false;
  const family = await ctx.store.tokenFamilies.get(stored.familyId);
  if (family === undefined || family.clientId !== clientId) return true;
  await ctx.store.tokenFamilies.revoke(family.id, 'revoked_by_client', now);
  await ctx.audit({
    type: 'token.revoked',
    clientId,
    userId: family.userId,
    detail: { family_id: family.id, token_type: 'refresh_token' },
  });
  return true;
}

async function revokeAccess(
  ctx: ServerContext,
  clientId: string,
  token: string,
  now: number,
): Promise<boolean> {
  const verified = await verifyOwnAccessToken(ctx.keys, ctx.issuer, token, now);
  if (verified === undefined) return false;
  if (verified.payload.client_id !== clientId) return true;
  const expiresAt = (verified.payload.exp ?? 0) * 1000;
  await ctx.store.replay.remember(`revoked-access-token:${verified.jti}`, expiresAt, now);
  await ctx.audit({
    type: 'token.revoked',
    clientId,
    detail: { jti: verified.jti, token_type: 'access_token' },
  });
  return true;
}
