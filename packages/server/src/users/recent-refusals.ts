import { LRUCache } from 'lru-cache';

/**
 * The login throttle's short memory of the store's refusals (decision 0030). A flood against one
 * locked account name or from one throttled address would otherwise cost a store transaction per
 * attempt; for a second after the store said a bucket is empty, this instance refuses that key
 * itself. A bucket only refills by time, which the store's answer already counts, so the store
 * would refuse the same; the exceptions, a success on another instance resetting the name or
 * giving its source an attempt back in that second, are seen at most a second late. Bounded like
 * the other keyed tables (attacker-chosen keys): an evicted key is simply asked of the store.
 */
export interface RecentRefusals {
  /** The keys of `keys` the store refused within the last `holdMs`, with the wait it gave, counted on. */
  recall(keys: readonly string[], now: number): { key: string; retryAfterMs: number }[];
  /** Remembers what the store refused at `now`. */
  note(refused: readonly { key: string; retryAfterMs: number }[], now: number): void;
  /** Forgets keys this instance just reset or refunded (a success here is seen here at once). */
  forget(keys: readonly string[]): void;
}

const HOLD_MS = 1_000;
const MAX_KEYS = 10_000;

export function createRecentRefusals(holdMs = HOLD_MS, maxKeys = MAX_KEYS): RecentRefusals {
  const heard = new LRUCache<string, { at: number; retryAt: number }>({ max: maxKeys });
  return {
    recall(keys, now) {
      return keys.flatMap((key) => {
        const entry = heard.get(key);
        // A clock stepping backwards (now < at) makes the entry useless rather than longer.
        if (entry === undefined || now < entry.at || now >= entry.at + holdMs || now >= entry.retryAt)
          return [];
        return [{ key, retryAfterMs: entry.retryAt - now }];
      });
    },
    note(refused, now) {
      for (const { key, retryAfterMs } of refused) heard.set(key, { at: now, retryAt: now + retryAfterMs });
    },
    forget(keys) {
      for (const key of keys) heard.delete(key);
    },
  };
}
