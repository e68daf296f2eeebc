import type { ServerContext } from '../context.ts';
import { messagesFor } from '../messages/catalogue.ts';

export type ScopeWordingDeps = Pick<ServerContext, 'resources' | 'profile'>;

/**
 * What each scope lets an application do, in words (issue #15 item 3; AT-14 for AT Protocol
 * scopes), for the consent and connected apps pages. In order: what the operator wrote for one of
 * the resources concerned (`resources[].scopeDescriptions`, the resource knows its scopes best),
 * then the profile's words (AT Protocol permissions, permission sets), then the catalogue's words
 * for the scopes the server itself defines. A scope nobody describes is shown by its name alone.
 */
export async function describeScopes(
  deps: ScopeWordingDeps,
  scopes: readonly string[],
  resources: readonly string[],
): Promise<Record<string, string>> {
  const known = messagesFor().scopes.known;
  const out: Record<string, string> = {};
  for (const scope of scopes) {
    const description =
      fromResources(deps, scope, resources) ??
      (await deps.profile.describeScope?.(scope)) ??
      (Object.hasOwn(known, scope) ? known[scope] : undefined);
    if (description !== undefined) out[scope] = description;
  }
  return out;
}

function fromResources(deps: ScopeWordingDeps, scope: string, resources: readonly string[]) {
  for (const uri of resources) {
    const words = deps.resources.byUri.get(uri)?.scopeDescriptions;
    if (words !== undefined && Object.hasOwn(words, scope)) return words[scope];
  }
  return undefined;
}
