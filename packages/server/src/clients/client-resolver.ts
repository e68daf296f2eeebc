import type { OAuthError } from '@gatehouse-oauth/core';
import type { ClientRecord, ClientStore } from '../store/store.ts';

/**
 * Turns a client_id into a client. The chain starts with clients held in the store (pre-registered
 * ones; DCR ones later), then Client ID Metadata Documents: resolvers are tried in order and the
 * first that knows the client_id answers. A resolver may throw an OAuthError to refuse a client_id
 * outright (a CIMD that cannot be fetched), with a description the user and developer can act on.
 */
export interface ClientResolver {
  resolve(clientId: string): Promise<ClientRecord | undefined>;
  /** Re-reads the client from its source now, if that means anything for it (a CIMD re-fetch). */
  refresh?(clientId: string): Promise<ClientRecord | undefined>;
  /**
   * A refusal that needs no I/O, asked of every resolver in the chain before any resolves: the
   * (settled) error if this client_id is refused now whatever the other resolvers hold, undefined
   * otherwise. The CIMD resolver uses it to shed document URLs the fetch governor would refuse
   * before the store is read (decision 0020); a CIMD URL is never a stored client of another kind
   * (static ids may not be URLs, CIMD-CO-1; DCR ids are generated).
   */
  refuseEarly?(clientId: string): Promise<OAuthError> | undefined;
  /**
   * The client, if memory alone answers it exactly as `resolve` would, asked of every resolver
   * before any resolves; undefined otherwise. The CIMD resolver answers a known client whose
   * document is cached fresh without the store read the stored resolver would make first (it would
   * find a `cimd` record there and pass anyway).
   */
  resolveFromMemory?(clientId: string): ClientRecord | undefined;
}

/**
 * Wraps the whole resolver chain (docs/extension-points.md, "client resolver decorators"): sees
 * every client_id before the chain does and every client the chain answers, and may refuse one by
 * throwing an OAuthError. The admission policy of a deployment is one.
 */
export type ClientResolverDecorator = (inner: ClientResolver) => ClientResolver;

/** The chain wrapped by `decorators`, the first listed outermost (it sees each client_id first). */
export function decorateClientResolver(
  chain: ClientResolver,
  decorators: readonly ClientResolverDecorator[],
): ClientResolver {
  return decorators.reduceRight((inner, decorate) => decorate(inner), chain);
}

/**
 * Clients in the store, except CIMD ones: those are recorded there for the inventory, but always
 * resolved through their document, so that caching, re-fetching and change handling apply.
 */
export function storedClientResolver(clients: ClientStore): ClientResolver {
  return {
    async resolve(clientId) {
      const client = await clients.get(clientId);
      return client?.kind === 'cimd' ? undefined : client;
    },
  };
}

export function chainClientResolvers(...resolvers: ClientResolver[]): ClientResolver {
  const first = async (pick: (resolver: ClientResolver) => Promise<ClientRecord | undefined> | undefined) => {
    for (const resolver of resolvers) {
      const client = await pick(resolver);
      if (client !== undefined) return client;
    }
    return undefined;
  };
  const early = resolvers.filter((resolver) => resolver.refuseEarly !== undefined);
  const refuseEarly = (clientId: string): Promise<OAuthError> | undefined => {
    for (const resolver of early) {
      const refusal = resolver.refuseEarly!(clientId);
      if (refusal !== undefined) return refusal;
    }
    return undefined;
  };
  const warm = resolvers.filter((resolver) => resolver.resolveFromMemory !== undefined);
  const resolveFromMemory = (clientId: string): ClientRecord | undefined => {
    for (const resolver of warm) {
      const client = resolver.resolveFromMemory!(clientId);
      if (client !== undefined) return client;
    }
    return undefined;
  };
  return {
    resolve: async (clientId) => {
      const client = resolveFromMemory(clientId);
      if (client !== undefined) return client;
      const refusal = refuseEarly(clientId);
      if (refusal !== undefined) throw await refusal;
      return first((resolver) => resolver.resolve(clientId));
    },
    // A refresh is a deliberate re-fetch of a client already in use; it meets the governor itself.
    refresh: (clientId) => first((resolver) => resolver.refresh?.(clientId)),
    refuseEarly,
    resolveFromMemory,
  };
}
