import { LRUCache } from 'lru-cache';
import { dropExpiredWhenFull } from './expired-first.ts';

/**
 * The DPoP proof replay check (RFC 9449 §11.1, AT-11) needs a "seen before?" store. Same contract
 * as Gatehouse's `ReplayStore.remember`: atomic, exactly one caller gets true for a key until it
 * expires. Pass a shared one (Redis, the Gatehouse store) when several instances serve the resource.
 */
export interface ReplayGuard {
  remember(key: string, expiresAt: number, now: number): Promise<boolean>;
}

/**
 * One process only. Bounded: when full, expired entries are swept and, if that is not enough, the
 * oldest are dropped. Dropping a live entry reopens a replay window for that proof, so size it for
 * the traffic (proofs live at most 5.5 minutes here).
 */
export function createMemoryReplayGuard(maxEntries = 100_000): ReplayGuard {
  // Key → expiry (epoch ms). `peek` leaves the order alone; `set` makes the key the most recent.
  const entries = new LRUCache<string, number>({ max: maxEntries });
  return {
    async remember(key, expiresAt, now) {
      const existing = entries.peek(key);
      if (existing !== undefined && existing > now) return false;
      dropExpiredWhenFull(entries, key, (until) => until <= now);
      entries.set(key, expiresAt);
      return true;
    },
  };
}
