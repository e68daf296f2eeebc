import type { AuthorizationCodeStore } from '../authorization-code-store.ts';
import { copy, deleteWhere, insertNew, type MemoryState } from './state.ts';

export function memoryAuthorizationCodeStore({ codes }: MemoryState): AuthorizationCodeStore {
  return {
    async create(code) {
      insertNew(codes, code.digest, code, 'authorization code');
    },
    async redeem(digest, familyId, now) {
      const code = codes.get(digest);
      if (code === undefined) return { outcome: 'unknown' };
      if (code.redeemedAt !== undefined) return { outcome: 'reused', code: copy(code) };
      code.redeemedAt = now;
      code.familyId = familyId;
      return { outcome: 'redeemed', code: copy(code) };
    },
    async deleteByClient(clientId) {
      return deleteWhere(codes, (code) => code.clientId === clientId && code.redeemedAt === undefined);
    },
  };
}
