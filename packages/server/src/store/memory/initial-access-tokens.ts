import type { InitialAccessTokenStore } from '../initial-access-token-store.ts';
import { copy, insertNew, type MemoryState } from './state.ts';

export function memoryInitialAccessTokenStore({ initialAccessTokens }: MemoryState): InitialAccessTokenStore {
  return {
    async create(token) {
      insertNew(initialAccessTokens, token.digest, token, 'initial access token');
    },
    async get(digest) {
      const token = initialAccessTokens.get(digest);
      return token === undefined ? undefined : copy(token);
    },
    async use(digest, now) {
      const token = initialAccessTokens.get(digest);
      if (token === undefined || token.revokedAt !== undefined) return undefined;
      if (token.expiresAt !== undefined && token.expiresAt <= now) return undefined;
      if (token.maxUses !== undefined && token.uses >= token.maxUses) return undefined;
      token.uses += 1;
      return copy(token);
    },
    async list() {
      return [...initialAccessTokens.values()].sort((a, b) => a.createdAt - b.createdAt).map(copy);
    },
    async revoke(id, now) {
      for (const token of initialAccessTokens.values()) {
        if (token.id !== id) continue;
        token.revokedAt ??= now;
        return true;
      }
      return false;
    },
  };
}
