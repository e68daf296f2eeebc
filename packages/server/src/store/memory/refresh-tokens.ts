import { replayDecision } from '../record-rules.ts';
import { sameRefreshTokenSecret } from '../refresh-token-key.ts';
import type { RefreshTokenStore } from '../refresh-token-store.ts';
import { copy, copyOf, insertNew, type MemoryState } from './state.ts';

export function memoryRefreshTokenStore({ refreshTokens, rotations }: MemoryState): RefreshTokenStore {
  return {
    async create(token) {
      insertNew(refreshTokens, token.digest, token, 'refresh token');
    },
    async get(digest) {
      return copyOf(refreshTokens.get(digest));
    },
    async rotate(presentedDigest, next, now, window) {
      const presented = refreshTokens.get(presentedDigest);
      if (presented === undefined) return { outcome: 'unknown' };
      if (presented.usedAt === undefined) {
        // insertNew throws before anything changed when the successor's digest is taken.
        insertNew(refreshTokens, next.digest, next, 'refresh token');
        presented.usedAt = now;
        rotations.set(presentedDigest, { successorDigest: next.digest, replays: 0 });
        return { outcome: 'rotated', presented: copy(presented) };
      }
      const rotation = rotations.get(presentedDigest);
      const decision = replayDecision(
        presented.usedAt,
        rotation?.replays ?? 0,
        now,
        window,
        rotation !== undefined && sameRefreshTokenSecret(rotation.successorDigest, next.digest),
      );
      if (decision === 'reuse') return { outcome: 'reused', presented: copy(presented) };
      if (decision === 'refused') return { outcome: 'replay_refused', presented: copy(presented) };
      rotation!.replays++;
      return { outcome: 'replayed', presented: copy(presented), successorDigest: rotation!.successorDigest };
    },
  };
}
