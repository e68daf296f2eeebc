import { requireParameter } from '@gatehouse-oauth/core';
import type { ClientTier } from '../governance/tier-policy.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import { ID_JAG_TYP, idJagGrant } from './id-jag-grant.ts';
import { peekAssertion, refuseGrant } from './jwt-bearer-assertion.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';
import { WORKLOAD_METHOD, workloadGrant } from './workload-identity.ts';

/**
 * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523 §2.1), one grant for two
 * kinds of assertion, told apart by who issued them (decision 0043):
 * - a workload token (SEP-1933) from a `workloadIdentity` issuer: it authenticated the workload in
 *   place of client credentials (./workload-identity.ts), and is exchanged here;
 * - an ID-JAG (MCP-EXT-EMA) from an `enterprise` identity provider, JOSE `typ` `oauth-id-jag+jwt`,
 *   exchanged by an authenticated client (./id-jag-grant.ts).
 * Any other issuer is refused before a key is fetched.
 */
export async function jwtBearerGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
): Promise<TokenResponse> {
  const assertion = requireParameter(request.parameters, 'assertion');
  const { typ, iss } = peekAssertion(assertion);
  if (request.authentication.method === WORKLOAD_METHOD) {
    const workload = ctx.jwtBearer.workloadIssuers.get(iss);
    if (workload !== undefined) return workloadGrant(ctx, request, tier, assertion, workload);
  }
  const idp = ctx.jwtBearer.identityProviders.get(iss);
  if (idp === undefined)
    throw refuseGrant('jwt_bearer_issuer_unknown', 'the assertion issuer is not trusted by this server');
  if (typ !== ID_JAG_TYP && typ !== `application/${ID_JAG_TYP}`)
    throw refuseGrant('jwt_bearer_typ', `an identity provider's assertion must be typed ${ID_JAG_TYP}`);
  return idJagGrant(ctx, request, tier, assertion, idp);
}
