import { OAuthError } from '@gatehouse-oauth/core';
import type { ResourceCatalog } from '../context.ts';
import type { ClientRecord } from '../store/store.ts';

/**
 * Which scopes a request may get (RFC 6749 §3.3). A scope must be offered by one of the requested
 * resources and, when the client registered a `scope`, be among those. A request naming no scope
 * gets the resources' default scopes (that the client may have). Unknown scopes are refused rather
 * than silently dropped, so a client learns of its typo instead of a missing permission.
 */
export function resolveScope(
  catalog: ResourceCatalog,
  client: ClientRecord,
  requested: readonly string[],
  resources: readonly string[],
  redirectable: boolean,
): string[] {
  const offered = new Set<string>();
  const defaults = new Set<string>();
  for (const uri of resources) {
    const resource = catalog.byUri.get(uri);
    for (const scope of resource?.scopes ?? []) offered.add(scope);
    for (const scope of resource?.defaultScopes ?? []) defaults.add(scope);
  }
  const registered =
    client.metadata.scope === undefined || !registeredScopeLimits(catalog, client)
      ? undefined
      : new Set(client.metadata.scope.split(' '));
  const allowed = (scope: string) =>
    offered.has(scope) && (registered === undefined || registered.has(scope));

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
 * Whether the client's registered `scope` is a ceiling. Always for static and CIMD clients (the
 * operator or the document's author chose it) and for registrations an initial access token or a
 * software statement vouched for; for open registrations only when `selfRegisteredScopeIsLimit`
 * (the MCP profile turns it off: SDKs register the scope of their first request, MCP-16).
 */
function registeredScopeLimits(catalog: ResourceCatalog, client: ClientRecord): boolean {
  if (catalog.selfRegisteredScopeIsLimit !== false || client.kind !== 'dcr') return true;
  const registration = client.registration;
  return registration?.initialAccessTokenId !== undefined || registration?.softwareStatement !== undefined;
}
