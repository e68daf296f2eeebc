import { OAuthError, resolveResources } from '@gatehouse-oauth/core';
import type { ResourceCatalog } from '../context.ts';
import { type ClientTier, withinScopeCeiling } from '../governance/tier-policy.ts';
import type { ScopeRules } from '../profiles/profile.ts';

/**
 * Which scopes a request may get (RFC 6749 §3.3): a scope must be offered by one of the requested
 * resources and lie within the client's scope ceiling (governance/tier-policy.ts: its trust tier's
 * `scopes` and the `scope` the client registered when that is a limit; every level must cover the
 * scope). A request naming no scope gets the resources' default scopes that the client may have.
 * Scopes outside are refused rather than silently dropped, so a client learns of its typo, or of
 * the operator's ceiling, instead of a missing permission: one behaviour for a document's own
 * `scope` and a tier's ceiling alike. `rules`: the profile's scope rules (atproto: permission
 * scopes, offered by every resource and covered by matching, AT-16); without them a scope is offered
 * when listed and covered when listed.
 */
export function resolveScope(
  catalog: ResourceCatalog,
  tier: Pick<ClientTier, 'scopeLevels'>,
  requested: readonly string[],
  resources: readonly string[],
  redirectable: boolean,
  rules?: ScopeRules,
): string[] {
  const offered = new Set<string>();
  const defaults = new Set<string>();
  for (const uri of resources) {
    const resource = catalog.byUri.get(uri);
    for (const scope of resource?.scopes ?? []) offered.add(scope);
    for (const scope of resource?.defaultScopes ?? []) defaults.add(scope);
  }
  const allowed = (scope: string) =>
    (offered.has(scope) || rules?.offered(scope) === true) && withinScopeCeiling(tier, scope, rules);

  if (requested.length === 0) return [...defaults].filter(allowed);
  const refused = requested.filter((scope) => !allowed(scope));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', {
      reason: 'scope_not_allowed',
      description: `scope not allowed for this client and resource: ${refused.slice(0, 5).join(' ')}`,
      redirectable,
    });
  }
  return [...requested];
}

/** The audiences a request resolves to: the named resources, the default one, or the issuer. */
export function audienceOf(resources: readonly string[], catalog: ResourceCatalog, issuer: string): string[] {
  if (resources.length > 0) return [...resources];
  if (catalog.defaultResource !== undefined) return [catalog.defaultResource];
  return [issuer];
}

/**
 * The resources a request names, as configured (RFC 8707 §2.1, MCP-9: every one must be one we
 * serve); none named: the default resource, or `resource_missing` when resources are configured and
 * none is the default. Unknown is `invalid_target`. One rule for the authorization endpoint and the
 * grants that take no earlier grant (client_credentials).
 */
export function requestedResources(
  catalog: ResourceCatalog,
  requested: readonly string[],
  redirectable: boolean,
): string[] {
  const resources = resolveResources(requested, catalog.known, redirectable);
  if (resources.length > 0) return resources;
  if (catalog.defaultResource !== undefined) return [catalog.defaultResource];
  if (catalog.known.size > 0) {
    throw new OAuthError('invalid_target', {
      reason: 'resource_missing',
      description: 'name the resource this token is for (RFC 8707 resource parameter)',
      redirectable,
    });
  }
  return [];
}
