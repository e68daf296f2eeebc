import type { AuthorizationCodeStore } from '../authorization-code-store.ts';
import { replayDecision } from '../record-rules.ts';
import { copy, copyOf, deleteWhere, insertNew, type MemoryState } from './state.ts';
import { insertFamily } from './token-families.ts';

export function memoryAuthorizationCodeStore(state: MemoryState): AuthorizationCodeStore {
  const { codes, families, refreshTokens, codeReplays } = state;
  return {
    async create(code) {
      insertNew(codes, code.digest, code, 'authorization code');
    },
    async get(digest) {
      return copyOf(codes.get(digest));
    },
    async exchange(digest, { family, refreshToken, now }) {
      const code = codes.get(digest);
      if (code === undefined) return { outcome: 'unknown' };
      if (code.redeemedAt !== undefined) return { outcome: 'reused', code: copy(code) };
      // Every check that can fail comes before the first change: all or nothing.
      if (families.has(family.id)) throw new Error(`token family ${family.id} already exists`);
      if (refreshToken !== undefined && refreshTokens.has(refreshToken.digest))
        throw new Error('refresh token already exists');
      insertFamily(state, family);
      if (refreshToken !== undefined)
        insertNew(refreshTokens, refreshToken.digest, refreshToken, 'refresh token');
      code.redeemedAt = now;
      code.familyId = family.id;
      return { outcome: 'redeemed', code: copy(code) };
    },
    async redeem(digest, familyId, now) {
      const code = codes.get(digest);
      if (code === undefined) return { outcome: 'unknown' };
      if (code.redeemedAt !== undefined) return { outcome: 'reused', code: copy(code) };
      code.redeemedAt = now;
      code.familyId = familyId;
      return { outcome: 'redeemed', code: copy(code) };
    },
    async replay(digest, now, window) {
      const code = codes.get(digest);
      if (code?.redeemedAt === undefined) return { outcome: 'unknown' };
      const replays = codeReplays.get(digest) ?? 0;
      const decision = replayDecision(code.redeemedAt, replays, now, window);
      if (decision === 'reuse') return { outcome: 'reused' };
      if (decision === 'refused') return { outcome: 'replay_refused' };
      codeReplays.set(digest, replays + 1);
      return { outcome: 'replayed' };
    },
    async deleteByClient(clientId) {
      return deleteWhere(codes, (code) => code.clientId === clientId && code.redeemedAt === undefined);
    },
  };
}
