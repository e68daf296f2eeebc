import type { ClientRecord } from '../store/store.ts';

/**
 * Who may introspect which tokens (RFC 7662 §2.1: the caller MUST be authorized; §4: the server
 * MUST prevent token scanning). Built once from the configuration (decision 0029): nobody may by
 * default, so an anonymous dynamic registration or a Client ID Metadata Document grants nothing.
 */
export interface IntrospectionPolicy {
  /** `introspection.clients`: may introspect every token this server issued. */
  everything: ReadonlySet<string>;
  /** `resources[].introspectionClients`, by client: the audiences whose access tokens it may introspect. */
  audiencesOf: ReadonlyMap<string, ReadonlySet<string>>;
}

/** What one authenticated caller may see: every token, the access tokens of some audiences, or nothing. */
export type IntrospectionScope =
  | { kind: 'everything' }
  | { kind: 'audiences'; audiences: ReadonlySet<string> }
  | { kind: 'nothing' };

export function buildIntrospectionPolicy(
  clients: readonly string[],
  resources: readonly { uri: string; introspectionClients?: readonly string[] | undefined }[],
): IntrospectionPolicy {
  const audiencesOf = new Map<string, Set<string>>();
  for (const resource of resources) {
    for (const clientId of resource.introspectionClients ?? []) {
      const audiences = audiencesOf.get(clientId) ?? new Set<string>();
      // The configured spelling: access tokens carry it as `aud` exactly (access-token.ts, RFC 8707).
      audiences.add(resource.uri);
      audiencesOf.set(clientId, audiences);
    }
  }
  return { everything: new Set(clients), audiencesOf };
}

export function introspectionScope(policy: IntrospectionPolicy, client: ClientRecord): IntrospectionScope {
  // Only an operator-added client can be one the operator named: dynamic registrations get
  // generated ids and CIMD ids are URLs, but the kind is the recorded fact (CIMD-CO-2), not the id.
  if (client.kind !== 'static') return { kind: 'nothing' };
  if (policy.everything.has(client.clientId)) return { kind: 'everything' };
  const audiences = policy.audiencesOf.get(client.clientId);
  return audiences === undefined ? { kind: 'nothing' } : { kind: 'audiences', audiences };
}

/** Whether an access token's `aud` (a string or an array, RFC 7519 §4.1.3) names one of `audiences`. */
export function audienceOwned(aud: unknown, audiences: ReadonlySet<string>): boolean {
  const values = Array.isArray(aud) ? aud : [aud];
  return values.some((value) => typeof value === 'string' && audiences.has(value));
}
