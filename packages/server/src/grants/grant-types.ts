import { OAuthError, TRUST_TIERS } from '@gatehouse-oauth/core';
import { dpopRequired } from '../dpop/request-dpop.ts';
import type { ClientGovernance } from '../governance/client-governance.ts';
import { type ClientTier, tierPolicyOf } from '../governance/tier-policy.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import { authorizationCodeGrant } from './authorization-code-grant.ts';
import { clientCredentialsGrant } from './client-credentials-grant.ts';
import { JWT_BEARER_GRANT_TYPE } from './jwt-bearer-assertion.ts';
import { jwtBearerGrant } from './jwt-bearer-grant.ts';
import { refreshTokenGrant } from './refresh-token-grant.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';

/** A grant type of RFC 6749 §4/§6: an authenticated token request in, tokens out. */
export type Grant = (ctx: GrantDeps, request: TokenRequest) => Promise<TokenResponse>;

/** A grant under the client's trust tier (issue #13): its lifetimes, resources and scope ceiling. */
type TieredGrant = (ctx: GrantDeps, request: TokenRequest, tier: ClientTier) => Promise<TokenResponse>;

const GRANTS: Record<string, Grant> = {
  authorization_code: underTier(authorizationCodeGrant),
  refresh_token: underTier(refreshTokenGrant, { refresh: true }),
  // RFC 7523 §2.1: ID-JAG (MCP-EXT-EMA) and workload tokens (SEP-1933); only when an issuer is configured.
  [JWT_BEARER_GRANT_TYPE]: underTier(jwtBearerGrant),
  // MCP-EXT-CC, decision 0042: the tier decides whether a client may (policy.clientCredentials).
  client_credentials: underTier(clientCredentialsGrant),
};

/** What the token endpoint accepts and the metadata advertises (RFC 8414 grant_types_supported). */
export const SUPPORTED_GRANT_TYPES = Object.keys(GRANTS);

/**
 * grant_types_supported (RFC 8414 §2): what the token endpoint may grant here, so client_credentials
 * only when some tier allows it (decision 0042) and jwt-bearer only when an issuer is trusted
 * (decision 0043): a server where no client could use a grant does not invite clients to try.
 */
export function advertisedGrantTypes(ctx: {
  governance: Pick<ClientGovernance, 'tierPolicy'>;
  jwtBearer: { enabled: boolean };
}): string[] {
  const clientCredentials = TRUST_TIERS.some((tier) => ctx.governance.tierPolicy(tier).clientCredentials);
  return SUPPORTED_GRANT_TYPES.filter((type) => {
    if (type === 'client_credentials') return clientCredentials;
    // Decision 0043: jwt-bearer only once an issuer is trusted.
    if (type === JWT_BEARER_GRANT_TYPE) return ctx.jwtBearer.enabled;
    return true;
  });
}

/** The grant of a `grant_type`, or undefined for one this server does not support. */
export function grantOfType(grantType: string): Grant | undefined {
  return Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
}

/**
 * The tier's refusals, before the grant runs, so that a refused request leaves the code or refresh
 * token as it was (like `dpop_bound_access_tokens` at the token endpoint, RFC 9449 §5.2):
 * - `dpop: required`: no proof, no tokens (`dpop_required_by_tier`, with a `DPoP-Nonce`, the
 *   refusal of the server-wide `dpop.required`);
 * - `refresh: false`: the refresh grant is refused (`refresh_not_allowed_for_tier`); the family is
 *   kept, so moving the client back to a tier with refresh restores its sessions.
 */
function underTier(grant: TieredGrant, kind: { refresh?: true } = {}): Grant {
  return async (ctx, request) => {
    const tier = await tierPolicyOf(ctx, request.client);
    if (tier.policy.dpop === 'required' && request.dpop === undefined) {
      throw await dpopRequired(
        ctx,
        ctx.clock(),
        `clients of the ${tier.tier} tier must send a DPoP proof with token requests`,
        'dpop_required_by_tier',
      );
    }
    if (kind.refresh === true && !tier.policy.refresh) {
      throw new OAuthError('unauthorized_client', {
        reason: 'refresh_not_allowed_for_tier',
        description: `clients of the ${tier.tier} tier get no refresh: authorize again`,
      });
    }
    return grant(ctx, request, tier);
  };
}
