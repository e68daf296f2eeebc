import { OAuthError, readRepeatedParameter, requireParameter } from '@gatehouse-oauth/core';
import { currentClientKeyThumbprints } from '../clients/private-key-jwt.ts';
import { requireBoundDpopKey } from '../dpop/dpop-binding.ts';
import type { ClientTier } from '../governance/tier-policy.ts';
import { recordedRefreshToken, refreshTokenDigest, timeLedRefreshToken } from '../store/refresh-token-key.ts';
import type { TokenFamilyRecord } from '../store/store.ts';
import { recordClientUse } from '../tokens/client-use.ts';
import {
  isConfidentialAuthentication,
  issueLifetimes,
  mintRefreshToken,
  replayWindow,
  type TokenResponse,
  tokenResponse,
} from '../tokens/token-response.ts';
import { requireUserInGoodStanding } from '../users/user-standing.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';
import { narrowGrant } from './token-request-resources.ts';

/**
 * grant_type=refresh_token, RFC 6749 §6 with OAuth 2.1 §4.3 and RFC 9700 §4.14.2: refresh tokens
 * rotate on every use, in one transaction; a used one presented again within the short grace window
 * (parallel refreshes, a retry whose answer was lost) gets the same successor again, a bounded
 * number of times (RefreshTokenStore.rotate, decision 0036); after the window it is treated as
 * theft and revokes the whole family.
 * The client's trust tier as it is now (issue #13) sets the lifetimes and bounds the resources and
 * scope, so a rule that moves the client reaches the sessions it already has.
 */
export async function refreshTokenGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
): Promise<TokenResponse> {
  const { parameters, client } = request;
  const presented = requireParameter(parameters, 'refresh_token');
  const now = ctx.clock();
  const invalid = (reason: string, description: string) =>
    new OAuthError('invalid_grant', { reason, description });

  const stored = await ctx.store.refreshTokens.get(refreshTokenDigest(presented));
  if (stored === undefined) throw invalid('refresh_token_unknown', 'the refresh token is invalid');
  const family = await ctx.store.tokenFamilies.get(stored.familyId);
  if (family === undefined) throw invalid('refresh_token_unknown', 'the refresh token is invalid');
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
  if (family.clientId !== client.clientId)
    throw invalid('refresh_client_mismatch', 'the refresh token was issued to another client');
  if (family.revokedAt !== undefined) throw invalid('family_revoked', 'the refresh token has been revoked');
  const lifetimes = issueLifetimes(
    ctx,
    isConfidentialAuthentication(request.authentication.method),
    tier.policy,
  );
  // A tier's own session lifetime also ends the sessions begun before the client was placed in it.
  const familyEnd = Math.min(
    family.expiresAt,
    tier.policy.tokenFamilySeconds === undefined
      ? Number.POSITIVE_INFINITY
      : family.createdAt + tier.policy.tokenFamilySeconds * 1000,
  );
  if (stored.expiresAt <= now || familyEnd <= now)
    throw invalid('refresh_token_expired', 'the refresh token has expired');
  // Issue #16: a disabled account's sessions stop; the family is kept, so enabling it restores them.
  await requireUserInGoodStanding(ctx, family.userId);
  // Before rotation, so a refused refresh leaves the presented token usable by the rightful key.
  await checkClientKeyBinding(ctx, request, family, now);
  // RFC 9449 §5: a public client's DPoP-bound refresh token needs a proof of the same key.
  requireBoundDpopKey(family.dpopJkt, request.dpop, 'refresh token');
  const granted = await narrowGrant(
    ctx,
    parameters,
    readRepeatedParameter(request.raw, 'resource'),
    family,
    tier,
  );

  // AT-10: confidential clients' refresh tokens may live longer (capped by the family's end anyway).
  // The successor's secret part is derived from the presented token, so it is the same every time
  // this token is presented: a second presentation in the grace gets the recorded successor again
  // (its time from the store, decision 0051), never a chain of its own.
  const secret = await ctx.refreshTokenDerivation.successorOf(presented);
  const next = mintRefreshToken(
    ctx,
    { ...family, expiresAt: familyEnd },
    lifetimes.refreshTokenSeconds,
    timeLedRefreshToken(now, secret),
  );
  const result = await ctx.store.refreshTokens.rotate(stored.digest, next.record, now, replayWindow(ctx));
  if (result.outcome === 'unknown') throw invalid('refresh_token_unknown', 'the refresh token is invalid');
  if (result.outcome === 'replay_refused') {
    // In the grace but past lifetimes.refreshReuseCount: refused, the family kept (decision 0036).
    throw invalid(
      'refresh_token_replay_limit',
      'the refresh token was already exchanged, and presented again as often as allowed; use its successor',
    );
  }
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
      replay: result.outcome === 'replayed',
    },
  });
  await recordClientUse(ctx, client, now, 'refresh');
  // The new access token is bound to this request's proof key: for a bound family that is the
  // family's key; a confidential client may move to another key, or refresh as Bearer (docs/dpop.md).
  return tokenResponse(ctx, family, granted, {
    refreshToken:
      result.outcome === 'replayed' ? recordedRefreshToken(result.successorDigest, secret) : next.value,
    dpopJkt: request.dpop?.jkt,
    accessTokenSeconds: lifetimes.accessTokenSeconds,
  });
}

/**
 * AT-9 ("bind the session to the key's kid/alg/jkt … refresh must use the same key and method") and
 * CIMD-CHG-3 (revoke the session when that key leaves the metadata), weighed against CIMD-CHG-2
 * (routine rotation must not break clients). Decision 0008:
 * - signed by the bound key: allowed;
 * - signed by another key while the bound key is still published: refused (client_key_mismatch),
 *   the family kept, since the rightful key holder may still refresh it;
 * - the bound key is no longer published, or the client no longer authenticates with a key at all:
 *   the family is revoked (client_key_removed / client_auth_method_changed), reaching its access
 *   tokens at introspection.
 * Families without a thumbprint (public and secret clients, or created before the binding existed)
 * are not checked.
 */
async function checkClientKeyBinding(
  ctx: GrantDeps,
  request: TokenRequest,
  family: TokenFamilyRecord,
  now: number,
): Promise<void> {
  const bound = family.clientKeyThumbprint;
  if (bound === undefined) return;
  const { client, authentication } = request;
  const usesKey = authentication.method === 'private_key_jwt';
  if (usesKey && authentication.keyThumbprint === bound) return;

  // The cached set may predate a rotation, so ask for a fresh one (rate-limited by the JWKS cache
  // cooldown) before deciding between "another current key" and "the bound key is gone".
  if (usesKey) {
    const current = await currentClientKeyThumbprints(client, ctx.clientAssertions, now, { fresh: true });
    if (current.has(bound)) {
      await ctx.audit({
        type: 'refresh_token.key_mismatch',
        clientId: client.clientId,
        userId: family.userId,
        reason: 'client_key_mismatch',
        detail: { family_id: family.id, bound_jkt: bound, presented_jkt: authentication.keyThumbprint },
      });
      throw new OAuthError('invalid_grant', {
        reason: 'client_key_mismatch',
        description: 'the refresh token is bound to another key of this client',
      });
    }
  }
  const reason = usesKey ? 'client_key_removed' : 'client_auth_method_changed';
  await ctx.store.tokenFamilies.revoke(family.id, reason, now);
  await ctx.audit({
    type: 'token_family.revoked',
    clientId: client.clientId,
    userId: family.userId,
    reason,
    detail: { family_id: family.id, bound_jkt: bound, method: authentication.method },
  });
  throw new OAuthError('invalid_grant', {
    reason,
    description: usesKey
      ? 'the key this session was bound to is no longer in the client metadata; the session is revoked'
      : 'this session was bound to a client key and the client no longer authenticates with one; the session is revoked',
  });
}
