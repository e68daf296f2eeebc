import type { ClientRecord, ClientStore } from '../store/store.ts';

/**
 * Turns a client_id into a client. The chain starts with clients held in the store (pre-registered
 * ones now; DCR ones later) and is where the CIMD resolver joins: resolvers are tried in order and
 * the first that knows the client_id answers.
 */
export interface ClientResolver {
  resolve(clientId: string): Promise<ClientRecord | undefined>;
}

export function storedClientResolver(clients: ClientStore): ClientResolver {
  return { resolve: (clientId) => clients.get(clientId) };
}

export function chainClientResolvers(...resolvers: ClientResolver[]): ClientResolver {
  return {
    async resolve(clientId) {
      for (const resolver of resolvers) {
        const client = await resolver.resolve(clientId);
        if (client !== undefined) return client;
      }
      return undefined;
    },
  };
}
