import { OAuthError, parseScope, readRepeatedParameter } from '@gatehouse-oauth/core';
import { requestedResources, resolveScope } from '../authorization/scope-policy.ts';
import { type ClientTier, requireTierResources } from '../governance/tier-policy.ts';
import { issueClientToken } from '../tokens/client-token.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';

/**
 * grant_type=client_credentials, RFC 6749 §4.4 with OAuth 2.1 §4.2 and the MCP OAuth client
 * credentials extension (MCP-EXT-CC): a confidential client gets a token for itself, with no user
 * and no consent. Decision 0042:
 * - off unless the client's trust tier allows it (`governance.tiers.<tier>.clientCredentials`); a
 *   rule placing one client in such a tier is the per-client switch;
 * - confidential clients only (RFC 6749 §4.4: "MUST only be used by confidential clients"); the
 *   client must have registered the grant (the token endpoint's `grant_not_registered`);
 * - `sub` is the client_id (RFC 9068 §2.2: the client acting on its own behalf); the audience is
 *   the `resource` (RFC 8707, MCP-9), the scope within the tier's ceiling by the same path as at the
 *   authorization endpoint (authorization/scope-policy.ts);
 * - DPoP-bound when a proof is sent (RFC 9449 §5); no refresh token (RFC 6749 §4.4.3: SHOULD NOT);
 *   issued by the one path for tokens a client holds for itself (tokens/client-token.ts), which a
 *   workload's jwt-bearer exchange shares.
 * Blocked clients never get here (the resolver refuses them) and pending ones are refused by the
 * token endpoint, as for every grant.
 */
export async function clientCredentialsGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
): Promise<TokenResponse> {
  const { client, authentication } = request;
  if (authentication.method === 'none') {
    throw new OAuthError('unauthorized_client', {
      reason: 'client_credentials_public_client',
      description: 'client_credentials is for confidential clients: authenticate with a key or a secret',
    });
  }
  if (!tier.policy.clientCredentials) {
    throw new OAuthError('unauthorized_client', {
      reason: 'client_credentials_not_allowed',
      description: `clients of the ${tier.tier} tier may not use client_credentials`,
    });
  }
  const resources = requestedResources(ctx.resources, readRepeatedParameter(request.raw, 'resource'), false);
  requireTierResources(tier, resources, false);
  const requested = parseScope(request.parameters.get('scope'));
  const scope = resolveScope(ctx.resources, tier, requested, resources, false, ctx.profile.scopeRules);
  return issueClientToken(ctx, client, tier.policy, {
    grantType: 'client_credentials',
    resources,
    scope,
    dpopJkt: request.dpop?.jkt,
    detail: { auth_method: authentication.method },
  });
}
