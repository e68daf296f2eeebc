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
  return {
    resolve: (clientId) => first((resolver) => resolver.resolve(clientId)),
    refresh: (clientId) => first((resolver) => resolver.refresh?.(clientId)),
  };
}
