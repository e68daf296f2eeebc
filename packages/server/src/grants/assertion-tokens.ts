import { parseScope, resolveResources } from '@gatehouse-oauth/core';
import { resolveScope } from '../authorization/scope-policy.ts';
import { type ClientTier, requireTierResources } from '../governance/tier-policy.ts';
import type { TokenFamilyRecord } from '../store/store.ts';
import { recordClientUse } from '../tokens/client-use.ts';
import { issueLifetimes, type TokenResponse, tokenResponse } from '../tokens/token-response.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';

/**
 * What the jwt-bearer grant issues once an ID-JAG is accepted: a new session of the user's own (a
 * token family with no refresh token, so introspection, revocation, blocks and the inventory reach it
 * like any other) and one access token. No refresh token (decision 0043): the assertion is
 * short-lived and its holder can get a new one; a refresh token would outlive the IdP's decision.
 * A workload's token has no user and no family: tokens/client-token.ts issues it.
 */
export interface AssertionGrant {
  /** A real account (grants/enterprise-account.ts), never a client standing in for one. */
  userId: string;
  resources: string[];
  scope: string[];
  /** The audit's detail beyond the session: which assertion, from which issuer, about whom. */
  detail: Record<string, unknown>;
}

/**
 * The resources and scope of a fresh request, as at the authorization endpoint (RFC 8707 §2, the
 * tier's resources and scope ceiling, issue #13): `requested` the request's `resource` values,
 * `scope` what the request (or the assertion) names.
 */
export function freshGrant(
  ctx: Pick<GrantDeps, 'resources' | 'profile'>,
  tier: ClientTier,
  requested: readonly string[],
  scope: string | undefined,
): { resources: string[]; scope: string[] } {
  let resources = resolveResources(requested, ctx.resources.known, false);
  if (resources.length === 0 && ctx.resources.defaultResource !== undefined)
    resources = [ctx.resources.defaultResource];
  requireTierResources(tier, resources, false);
  return {
    resources,
    scope: resolveScope(ctx.resources, tier, parseScope(scope), resources, false, ctx.profile.scopeRules),
  };
}

export async function issueForAssertion(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
  grant: AssertionGrant,
): Promise<TokenResponse> {
  const now = ctx.clock();
  const lifetimes = issueLifetimes(ctx, true, tier.policy);
  const family: TokenFamilyRecord = {
    id: crypto.randomUUID(),
    // No consent grant stands behind it: the IdP or the platform decided.
    grantId: `jwt-bearer:${crypto.randomUUID()}`,
    clientId: request.client.clientId,
    userId: grant.userId,
    scope: grant.scope,
    resources: grant.resources,
    authTime: now,
    createdAt: now,
    expiresAt: now + lifetimes.accessTokenSeconds * 1000,
  };
  await ctx.store.tokenFamilies.create(family);
  await ctx.audit({
    type: 'token.issued',
    clientId: family.clientId,
    userId: family.userId,
    detail: {
      grant_type: 'jwt-bearer',
      family_id: family.id,
      scope: grant.scope,
      resources: grant.resources,
      ...grant.detail,
    },
  });
  await recordClientUse(ctx, request.client, now);
  const granted = {
    scope: (await ctx.profile.tokenScope?.(grant.scope)) ?? grant.scope,
    resources: grant.resources,
  };
  return tokenResponse(ctx, family, granted, {
    dpopJkt: request.dpop?.jkt,
    accessTokenSeconds: lifetimes.accessTokenSeconds,
  });
}
