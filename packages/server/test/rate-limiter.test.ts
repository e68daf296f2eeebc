/**
 * The token-bucket limiter in front of DCR registration and RFC 7592 management. Every `now` is
 * explicit, so these assertions are exact rather than timing-dependent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter } from '../src/rate-limit/rate-limiter.ts';
import { createRefusalLog } from '../src/rate-limit/refusal-log.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('rate limiter', () => {
  it('allows a burst of `limit`, then refuses with the time until one token', () => {
    const limiter = createRateLimiter({ limit: 3, windowSeconds: 60 });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(limiter.hit('a', T0), { allowed: true, retryAfterSeconds: 0 });
    }
    // One token refills every 20 s.
    assert.deepEqual(limiter.hit('a', T0), { allowed: false, retryAfterSeconds: 20 });
    assert.deepEqual(limiter.hit('a', T0 + 5_000), { allowed: false, retryAfterSeconds: 15 });
    // Partial seconds round up: a client that waits the advertised time must then succeed.
    assert.deepEqual(limiter.hit('a', T0 + 5_500), { allowed: false, retryAfterSeconds: 15 });
    assert.deepEqual(limiter.hit('a', T0 + 19_999), { allowed: false, retryAfterSeconds: 1 });
    assert.equal(limiter.hit('a', T0 + 20_000).allowed, true);
    assert.equal(limiter.hit('a', T0 + 20_000).allowed, false);
  });

  it('honours the advertised Retry-After exactly', () => {
    const limiter = createRateLimiter({ limit: 7, windowSeconds: 3 });
    for (let i = 0; i < 7; i++) assert.equal(limiter.hit('k', T0).allowed, true);
    const refused = limiter.hit('k', T0 + 123);
    assert.equal(refused.allowed, false);
    assert.equal(limiter.hit('k', T0 + 123 + refused.retryAfterSeconds * 1000).allowed, true);
  });

  it('does not count refused hits', () => {
    const limiter = createRateLimiter({ limit: 2, windowSeconds: 10 });
    assert.equal(limiter.hit('a', T0).allowed, true);
    assert.equal(limiter.hit('a', T0).allowed, true);
    // Hammering while empty must not push the next token further away.
    for (let i = 0; i < 1_000; i++) assert.equal(limiter.hit('a', T0 + i).allowed, false);
    assert.equal(limiter.hit('a', T0 + 5_000).allowed, true);
    assert.equal(limiter.hit('a', T0 + 5_000).allowed, false);
    assert.deepEqual(limiter.hit('a', T0 + 7_000), { allowed: false, retryAfterSeconds: 3 });
  });

  it('refills at limit/window per second and caps at `limit`', () => {
    const limiter = createRateLimiter({ limit: 4, windowSeconds: 60 });
    for (let i = 0; i < 4; i++) limiter.hit('a', T0);
    // 30 s refills 2 tokens.
    assert.equal(limiter.hit('a', T0 + 30_000).allowed, true);
    assert.equal(limiter.hit('a', T0 + 30_000).allowed, true);
    assert.equal(limiter.hit('a', T0 + 30_000).allowed, false);
    // A day idle still only buys a burst of `limit`.
    const later = T0 + 86_400_000;
    for (let i = 0; i < 4; i++) assert.equal(limiter.hit('a', later).allowed, true);
    assert.equal(limiter.hit('a', later).allowed, false);
  });

  it('keeps keys independent', () => {
    const limiter = createRateLimiter({ limit: 1, windowSeconds: 60 });
    assert.equal(limiter.hit('198.51.100.1', T0).allowed, true);
    assert.equal(limiter.hit('198.51.100.1', T0).allowed, false);
    assert.equal(limiter.hit('198.51.100.2', T0).allowed, true);
  });

  it('does not mint tokens when the clock steps backwards', () => {
    const limiter = createRateLimiter({ limit: 1, windowSeconds: 60 });
    assert.equal(limiter.hit('a', T0).allowed, true);
    assert.equal(limiter.hit('a', T0 - 3_600_000).allowed, false);
    // The bucket remembers the latest time seen, so the refill is still measured from T0.
    assert.equal(limiter.hit('a', T0 + 59_999).allowed, false);
    assert.equal(limiter.hit('a', T0 + 60_000).allowed, true);
  });

  it('handles fractional rates without float drift', () => {
    // 10 per 3 s: one token every 300 ms, a rate that is not exact in binary floating point.
    const limiter = createRateLimiter({ limit: 10, windowSeconds: 3 });
    for (let i = 0; i < 10; i++) assert.equal(limiter.hit('a', T0).allowed, true);
    for (let step = 1; step <= 1_000; step++) {
      assert.equal(limiter.hit('a', T0 + step * 300).allowed, true, `step ${step}`);
      assert.equal(limiter.hit('a', T0 + step * 300).allowed, false, `step ${step}`);
    }
  });

  it('bounds memory: 100,000 distinct keys evict the least recently used', () => {
    const limiter = createRateLimiter({ limit: 1, windowSeconds: 3600, maxKeys: 1_000 });
    assert.equal(limiter.hit('kept', T0).allowed, true);
    for (let i = 0; i < 100_000; i++) {
      assert.equal(limiter.hit(`key-${i}`, T0).allowed, true);
      // Touching 'kept' keeps it most recently used, so it is never the one evicted.
      if (i % 500 === 0) assert.equal(limiter.hit('kept', T0).allowed, false);
    }
    assert.equal(limiter.hit('kept', T0).allowed, false, 'recently used key kept its state');
    // The most recent keys are still tracked...
    assert.equal(limiter.hit('key-99999', T0).allowed, false);
    // ...while an early key was evicted and so starts with a fresh bucket.
    assert.equal(limiter.hit('key-0', T0).allowed, true);
  });

  it('defaults to 10,000 keys', () => {
    const limiter = createRateLimiter({ limit: 1, windowSeconds: 3600 });
    for (let i = 0; i < 10_000; i++) limiter.hit(`key-${i}`, T0);
    assert.equal(limiter.hit('key-0', T0).allowed, false, 'still tracked at capacity');
    // key-0 was just refreshed, so one more new key evicts key-1 instead.
    limiter.hit('new', T0);
    assert.equal(limiter.hit('key-1', T0).allowed, true, 'evicted');
    assert.equal(limiter.hit('key-0', T0).allowed, false);
  });

  it('peeks without spending, refunds one token up to the burst, and resets a key (login throttle)', () => {
    const limiter = createRateLimiter({ limit: 2, windowSeconds: 60 });
    assert.deepEqual(limiter.peek('k', T0), { allowed: true, retryAfterSeconds: 0 });
    limiter.hit('k', T0);
    limiter.hit('k', T0);
    for (let i = 0; i < 3; i++)
      assert.deepEqual(limiter.peek('k', T0), { allowed: false, retryAfterSeconds: 30 });
    assert.equal(limiter.peek('k', T0 + 30_000).allowed, true, 'peek sees the refill');
    limiter.refund('k');
    assert.equal(limiter.hit('k', T0).allowed, true, 'the refunded token');
    assert.equal(limiter.hit('k', T0).allowed, false);
    limiter.refund('k');
    limiter.refund('k');
    limiter.refund('k'); // capped at the burst of 2
    assert.equal(limiter.hit('k', T0).allowed, true);
    assert.equal(limiter.hit('k', T0).allowed, true);
    assert.equal(limiter.hit('k', T0).allowed, false);
    limiter.reset('k');
    assert.equal(limiter.hit('k', T0).allowed, true);
    assert.equal(limiter.hit('k', T0).allowed, true);
    limiter.refund('unknown'); // nothing to give back to
    assert.equal(limiter.peek('unknown', T0).allowed, true);
  });

  it('rejects nonsensical options', () => {
    assert.throws(() => createRateLimiter({ limit: 0, windowSeconds: 60 }), RangeError);
    assert.throws(() => createRateLimiter({ limit: 1.5, windowSeconds: 60 }), RangeError);
    assert.throws(() => createRateLimiter({ limit: 1, windowSeconds: 0 }), RangeError);
    assert.throws(() => createRateLimiter({ limit: 1, windowSeconds: 60, maxKeys: 0 }), RangeError);
  });
});

describe('refusal log bound', () => {
  it('forgets the oldest window past maxKeys, so that key is audited again early', () => {
    const log = createRefusalLog(2);
    assert.equal(log.note('k1', T0, 60_000).audit, true);
    assert.equal(log.note('k2', T0, 60_000).audit, true);
    assert.equal(log.note('k1', T0 + 1, 60_000).audit, false); // counted, not audited
    assert.equal(log.note('k3', T0 + 2, 60_000).audit, true); // evicts k1, the oldest window
    assert.equal(log.note('k2', T0 + 3, 60_000).audit, false);
    assert.deepEqual(log.note('k1', T0 + 4, 60_000), { audit: true, previousWindowSuppressed: 0 });
  });
});
