import { OAuthError, requireParameter } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { clientTokensCount } from '../governance/pending-admission.ts';
import { jsonResponse } from '../http/responses.ts';
import { refreshTokenDigest } from '../store/refresh-token-key.ts';
import { verifyOwnAccessToken } from '../tokens/access-token.ts';
import { isClientTokenFamilyId } from '../tokens/client-token.ts';
import { clientAuthenticatedEndpoint } from './client-authenticated-request.ts';
import { audienceOwned, type IntrospectionScope, introspectionScope } from './introspection-policy.ts';

/**
 * Token introspection, RFC 7662, for resource servers. §2.1: the endpoint MUST require
 * authorization, and §4: the server MUST prevent token scanning. So the caller must authenticate as
 * a confidential client AND be one the operator authorized (decision 0029): named in
 * `introspection.clients` (every token), or in a resource's `introspectionClients` (access tokens
 * for that audience). A token that is expired, revoked, of a revoked family, of a disabled or removed
 * account (users/user-standing.ts), unknown, or not this caller's to see is `{"active": false}` and
 * nothing more (§2.2).
 */
export function introspectionEndpoint(ctx: ServerContext) {
  return clientAuthenticatedEndpoint(ctx, async ({ form, authentication }) => {
    if (authentication.method === 'none') {
      throw new OAuthError('invalid_client', {
        reason: 'introspection_needs_credentials',
        description: 'introspection is for authenticated resource servers',
      });
    }
    const scope = introspectionScope(ctx.introspection, authentication.client);
    if (scope.kind === 'nothing') {
      // RFC 7662 §2.1 and §4: authenticated, but not a resource server. 403, not 401: the
      // credentials are good (RFC 6749 §5.2's 401 is for failed authentication) and retrying with
      // them cannot help; not `active: false` either, so a misconfigured resource server learns why
      // instead of rejecting every token. Refused before the token is read: nothing is looked up.
      throw new OAuthError('unauthorized_client', {
        status: 403,
        reason: 'introspection_not_allowed',
        description: 'this client is not authorized to introspect tokens',
      });
    }
    const token = requireParameter(form.parameters, 'token');
    const now = ctx.clock();
    const access = await introspectAccess(ctx, token, now, scope);
    if (access !== undefined) return jsonResponse(access);
    // Refresh tokens never reach a resource server; only a client allowed everything may ask (§2.2:
    // a token the caller may not introspect is simply inactive).
    if (scope.kind !== 'everything') return jsonResponse({ active: false });
    return jsonResponse((await introspectRefresh(ctx, token, now)) ?? { active: false });
  });
}

async function introspectAccess(ctx: ServerContext, token: string, now: number, scope: IntrospectionScope) {
  const verified = await verifyOwnAccessToken(ctx.keys, ctx.issuer, token, now);
  if (verified === undefined) return undefined;
  const { payload } = verified;
  if (scope.kind === 'audiences' && !audienceOwned(payload.aud, scope.audiences)) return { active: false };
  const clientId = isClientTokenFamilyId(verified.familyId)
    ? await clientTokenHolder(ctx, payload.client_id, payload.iat, now)
    : await sessionTokenHolder(ctx, verified.familyId);
  if (clientId === undefined) return { active: false };
  if (await ctx.store.replay.has(`revoked-access-token:${verified.jti}`, now)) return { active: false };
  // Issue #13: a blocked client's tokens are inactive at once, before the revocation cascade ends.
  if (!(await clientTokensCount(ctx, clientId))) return { active: false };
  return {
    active: true,
    // RFC 9449 §6.2: a DPoP-bound token says so, with the key it is bound to.
    token_type: verified.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    ...(verified.dpopJkt === undefined ? {} : { cnf: { jkt: verified.dpopJkt } }),
    scope: payload.scope,
    client_id: payload.client_id,
    sub: payload.sub,
    aud: payload.aud,
    iss: payload.iss,
    exp: payload.exp,
    iat: payload.iat,
    jti: payload.jti,
    auth_time: payload.auth_time,
  };
}
/** The client of a user's token: its family is live and its user in good standing. */
async function sessionTokenHolder(ctx: ServerContext, familyId: string): Promise<string | undefined> {
  const family = await ctx.store.tokenFamilies.get(familyId);
  if (family === undefined || family.revokedAt !== undefined) return undefined;
  if ((await ctx.userStanding(family.userId)) !== 'active') return undefined;
  return family.clientId;
}

/**
 * The client of a token it holds for itself (client_credentials or a workload's jwt-bearer exchange,
 * tokens/client-token.ts): no family, no user; the client must still exist (removing it ends its
 * tokens, as removal ends families), and the token must be newer than the client's last "revoke
 * all" (TokenFamilyStore.revokeClientTokens). `iat` has whole seconds: a token issued in the same
 * second as the revocation counts as before it, so none issued before it can pass.
 */
async function clientTokenHolder(
  ctx: ServerContext,
  clientId: unknown,
  issuedAt: unknown,
  now: number,
): Promise<string | undefined> {
  if (typeof clientId !== 'string' || typeof issuedAt !== 'number') return undefined;
  if ((await ctx.store.clients.get(clientId)) === undefined) return undefined;
  const revokedUntil = await ctx.store.tokenFamilies.clientTokensRevokedUntil(clientId, now);
  if (revokedUntil !== undefined && issuedAt * 1000 <= revokedUntil) return undefined;
  return clientId;
}

async function introspectRefresh(ctx: ServerContext, token: string, now: number) {
  const stored = await ctx.store.refreshTokens.get(refreshTokenDigest(token));
  if (stored === undefined) return undefined;
  const family = await ctx.store.tokenFamilies.get(stored.familyId);
  const active =
    family !== undefined &&
    family.revokedAt === undefined &&
    stored.usedAt === undefined &&
    stored.expiresAt > now &&
    family.expiresAt > now &&
    (await ctx.userStanding(family.userId)) === 'active' &&
    (await clientTokensCount(ctx, family.clientId));
  if (!active) return { active: false };
  return {
    active: true,
    token_type: 'refresh_token',
    scope: family.scope.join(' '),
    client_id: family.clientId,
    sub: await ctx.subjectOf(family.userId),
    iss: ctx.issuer,
    exp: Math.floor(stored.expiresAt / 1000),
    iat: Math.floor(stored.issuedAt / 1000),
  };
}
