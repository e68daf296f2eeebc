import { LRUCache } from 'lru-cache';

/**
 * Issue #4: "every refusal is an audit event", but a flood must not fill the audit store the
 * limiter protects. So a limiter key's refusals are audited once per window: the first refusal
 * writes an event and opens the key's window (the limiter's own `windowSeconds`, after which a
 * drained bucket is full again); later refusals of that key within it are only counted here, and
 * the count is carried on the key's next event, so operators still see how large the flood was.
 * Keys are attacker-chosen, so the map is bounded like the limiter's (LRU by first refusal): an
 * evicted key may be audited again early, which takes more than `maxKeys` other refused keys, each
 * of them audited itself, so the audit volume at most doubles.
 */
export interface RefusalLog {
  /** Counts a refusal of `key`; true when it is the first of a window and must be audited. */
  note(key: string, now: number, windowMs: number): { audit: boolean; previousWindowSuppressed: number };
}

const DEFAULT_MAX_KEYS = 10_000;

export function createRefusalLog(maxKeys = DEFAULT_MAX_KEYS): RefusalLog {
  // lru-cache (decision 0023), read with `peek`: the order is that of the windows' opening.
  const windows = new LRUCache<string, { until: number; suppressed: number }>({ max: maxKeys });
  return {
    note(key, now, windowMs) {
      const open = windows.peek(key);
      if (open !== undefined && open.until > now) {
        open.suppressed += 1;
        return { audit: false, previousWindowSuppressed: 0 };
      }
      windows.set(key, { until: now + windowMs, suppressed: 0 });
      return { audit: true, previousWindowSuppressed: open?.suppressed ?? 0 };
    },
  };
}
