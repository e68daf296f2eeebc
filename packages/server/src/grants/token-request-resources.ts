import { isSubset, OAuthError, type Parameters, parseScope, resolveResources } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { type ClientTier, requireTierResources, withinScopeCeiling } from '../governance/tier-policy.ts';

/**
 * Narrowing at the token endpoint. RFC 8707 §2.2: `resource` at the token endpoint picks the
 * audience among what was granted (anything else is invalid_target); RFC 6749 §6: a refresh may ask
 * for less scope, never more (invalid_scope). The client's trust tier as it is now (issue #13)
 * bounds both: a resource the tier does not list is refused (`resource_not_allowed_for_tier`), and
 * what was granted is narrowed to the scope ceiling in force, which may have shrunk since the
 * grant (a rule moving the client, a document narrowing its `scope`); asking for a scope outside
 * it is refused as at the authorization endpoint (`scope_not_allowed`). The profile's scope rules
 * (AT-16) decide what a resource offers and what a ceiling or the grant covers, as at the
 * authorization endpoint; its `tokenScope` then says what the tokens carry (atproto: permission
 * sets expanded as they are now), before the caller rotates or stores anything.
 */
export async function narrowGrant(
  ctx: Pick<ServerContext, 'resources' | 'profile'>,
  parameters: Parameters,
  requestedResources: readonly string[],
  granted: { scope: readonly string[]; resources: readonly string[] },
  tier: Pick<ClientTier, 'tier' | 'resources' | 'scopeLevels'>,
): Promise<{ scope: string[]; resources: string[] }> {
  let resources = [...granted.resources];
  if (requestedResources.length > 0) {
    const wanted = resolveResources(requestedResources, ctx.resources.known, false);
    if (!isSubset(wanted, granted.resources)) {
      throw new OAuthError('invalid_target', {
        reason: 'resource_not_granted',
        description: 'resource was not part of the authorization grant',
      });
    }
    resources = wanted;
  }
  requireTierResources(tier, resources, false);
  const rules = ctx.profile.scopeRules;
  const withinCeiling = (value: string) => withinScopeCeiling(tier, value, rules);
  // A token for fewer resources carries only the scopes those resources offer.
  const listed = new Set(resources.flatMap((uri) => ctx.resources.byUri.get(uri)?.scopes ?? []));
  const offered = { has: (value: string) => listed.has(value) || rules?.offered(value) === true };
  let scope = granted.scope.filter(
    (value) => (offered.has(value) || resources.length === 0) && withinCeiling(value),
  );
  if (parameters.has('scope')) {
    const wanted = parseScope(parameters.get('scope'));
    const exceeds =
      rules === undefined
        ? !isSubset(wanted, granted.scope)
        : wanted.some((value) => !rules.covers(granted.scope, value));
    if (exceeds) {
      throw new OAuthError('invalid_scope', {
        reason: 'scope_exceeds_grant',
        description: 'scope exceeds what was granted',
      });
    }
    // MCP-16, per-resource scopes: a granted scope of another resource is not one this audience may
    // carry (a token for resource A with resource B's scope would widen A).
    const foreign = wanted.filter((value) => !offered.has(value) && resources.length > 0);
    if (foreign.length > 0) {
      throw new OAuthError('invalid_scope', {
        reason: 'scope_not_for_resource',
        description: `scope not offered by the requested resource: ${foreign.slice(0, 5).join(' ')}`,
      });
    }
    const outside = wanted.filter((value) => !withinCeiling(value));
    if (outside.length > 0) {
      throw new OAuthError('invalid_scope', {
        reason: 'scope_not_allowed',
        description: `scope not allowed for this client: ${outside.slice(0, 5).join(' ')}`,
      });
    }
    scope = wanted;
  }
  return { scope: (await ctx.profile.tokenScope?.(scope)) ?? scope, resources };
}
