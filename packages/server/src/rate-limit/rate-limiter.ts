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
  /** What `hit` would decide now, without spending a token. */
  peek(key: string, now: number): RateLimitDecision;
  /** Gives back one token spent by `hit` (capped at the burst), e.g. an attempt that succeeded. */
  refund(key: string): void;
  /** Forgets the key: its next hit starts from a full bucket. */
  reset(key: string): void;
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

  /** The key's credit refilled up to `now`, and the time it is counted from. */
  const refilled = (key: string, now: number): Bucket => {
    const existing = buckets.peek(key);
    if (existing === undefined) return { credit: capacity, updatedAt: now };
    // A clock that steps backwards must not mint tokens (or take them away).
    const elapsed = Math.max(0, now - existing.updatedAt);
    return {
      credit: Math.min(capacity, existing.credit + elapsed * limit),
      updatedAt: Math.max(now, existing.updatedAt),
    };
  };
  const decide = (credit: number): RateLimitDecision =>
    credit >= tokenCost
      ? { allowed: true, retryAfterSeconds: 0 }
      : { allowed: false, retryAfterSeconds: Math.ceil((tokenCost - credit) / limit / 1000) };

  return {
    hit(key, now) {
      const { credit, updatedAt } = refilled(key, now);
      const decision = decide(credit);
      // Refused hits leave the bucket as refilled, so hammering does not extend the wait.
      buckets.set(key, { credit: decision.allowed ? credit - tokenCost : credit, updatedAt });
      return decision;
    },
    peek(key, now) {
      return decide(refilled(key, now).credit);
    },
    refund(key) {
      const existing = buckets.peek(key);
      if (existing === undefined) return;
      buckets.set(key, { ...existing, credit: Math.min(capacity, existing.credit + tokenCost) });
    },
    reset(key) {
      buckets.delete(key);
    },
  };
}
