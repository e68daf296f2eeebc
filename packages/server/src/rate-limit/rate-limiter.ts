import { LRUCache } from 'lru-cache';

/**
 * A per-key token bucket for the unauthenticated endpoints (DCR registration, RFC 7592
 * management). Each key gets `limit` tokens that refill evenly over `windowSeconds`, so a burst of
 * `limit` is allowed and the sustained rate is limit/windowSeconds per second.
 *
 * `now` is passed in (epoch ms) rather than read here, so callers share one clock and tests are
 * deterministic. Per-key state lives in a bounded LRU: keys are attacker-chosen (IP addresses,
 * client ids), so an unbounded map would be a memory-exhaustion vector. Evicting a key forgets its
 * debt, which at worst grants an evicted key a fresh burst; that is the price of bounded memory and
 * only matters once more than `maxKeys` distinct keys are active within one window.
 */

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  hit(key: string, now: number): RateLimitDecision;
}

interface Bucket {
  /**
   * Credit in "token-milliseconds": one token is `windowMs` units and each elapsed millisecond adds
   * `limit` units. Keeping the refill in integers avoids float drift that would otherwise let a
   * bucket sit at 0.9999… tokens and refuse a hit the arithmetic says should pass.
   */
  credit: number;
  updatedAt: number;
}

const DEFAULT_MAX_KEYS = 10_000;

export function createRateLimiter(options: {
  limit: number;
  windowSeconds: number;
  maxKeys?: number;
}): RateLimiter {
  const { limit, windowSeconds } = options;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`rate limit window must be positive, got ${windowSeconds}`);
  }
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`rate limit maxKeys must be a positive integer, got ${maxKeys}`);
  }
  const windowMs = windowSeconds * 1000;
  const tokenCost = windowMs;
  const capacity = limit * windowMs;
  // lru-cache (decision 0023): `set` on every hit makes the key the most recently used, and a new
  // key in a full table evicts the least recently used one.
  const buckets = new LRUCache<string, Bucket>({ max: maxKeys });

  return {
    hit(key, now) {
      const existing = buckets.peek(key);
      let credit: number;
      if (existing === undefined) {
        credit = capacity;
      } else {
        // A clock that steps backwards must not mint tokens (or take them away).
        const elapsed = Math.max(0, now - existing.updatedAt);
        credit = Math.min(capacity, existing.credit + elapsed * limit);
      }
      const updatedAt = existing === undefined ? now : Math.max(now, existing.updatedAt);

      if (credit >= tokenCost) {
        buckets.set(key, { credit: credit - tokenCost, updatedAt });
        return { allowed: true, retryAfterSeconds: 0 };
      }
      // Refused hits leave the bucket as refilled, so hammering does not extend the wait.
      buckets.set(key, { credit, updatedAt });
      const waitMs = (tokenCost - credit) / limit;
      return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    },
  };
}
