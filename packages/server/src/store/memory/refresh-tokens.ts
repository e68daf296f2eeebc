import { withinGrace } from '../record-rules.ts';
import type { RefreshTokenStore } from '../refresh-token-store.ts';
import { copy, copyOf, insertNew, type MemoryState } from './state.ts';

export function memoryRefreshTokenStore({ refreshTokens }: MemoryState): RefreshTokenStore {
  return {
    async create(token) {
      insertNew(refreshTokens, token.digest, token, 'refresh token');
    },
    async get(digest) {
      return copyOf(refreshTokens.get(digest));
    },
    async rotate(presentedDigest, next, now, graceMs) {
      const presented = refreshTokens.get(presentedDigest);
      if (presented === undefined) return { outcome: 'unknown' };
      if (presented.usedAt !== undefined && !withinGrace(presented.usedAt, now, graceMs)) {
        return { outcome: 'reused', presented: copy(presented) };
      }
      const outcome = presented.usedAt === undefined ? 'rotated' : 'rotated_in_grace';
      insertNew(refreshTokens, next.digest, next, 'refresh token');
      presented.usedAt ??= now;
      return { outcome, presented: copy(presented) };
    },
  };
}
