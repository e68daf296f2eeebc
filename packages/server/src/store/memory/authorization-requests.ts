import type { AuthorizationRequestStore } from '../authorization-request-store.ts';
import { copy, deleteWhere, insertNew, type MemoryState } from './state.ts';

export function memoryAuthorizationRequestStore({ requests }: MemoryState): AuthorizationRequestStore {
  return {
    async create(request) {
      insertNew(requests, request.id, request, 'authorization request');
    },
    async get(id, now) {
      const request = requests.get(id);
      return request !== undefined && request.expiresAt > now ? copy(request) : undefined;
    },
    async consume(id, now) {
      const request = requests.get(id);
      if (request === undefined || request.expiresAt <= now) return undefined;
      requests.delete(id);
      return request;
    },
    async deleteByClient(clientId) {
      return deleteWhere(requests, (request) => request.clientId === clientId);
    },
  };
}
