import type { ReplayStore } from '../replay-store.ts';
import type { MemoryState } from './state.ts';

export function memoryReplayStore({ replay }: MemoryState): ReplayStore {
  return {
    async remember(key, expiresAt, now) {
      const existing = replay.get(key);
      if (existing !== undefined && existing > now) return false;
      replay.set(key, expiresAt);
      return true;
    },
    async has(key, now) {
      const expiresAt = replay.get(key);
      return expiresAt !== undefined && expiresAt > now;
    },
  };
}
