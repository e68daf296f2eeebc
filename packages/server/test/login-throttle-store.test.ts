/**
 * The login throttle on the store's shared token buckets (users/login-throttle.ts, decision 0030):
 * what it asks of the store per attempt. One `take` per attempt checked; a key the store refused
 * is refused by the instance itself for a second (users/recent-refusals.ts), so a flood against a
 * locked name or from a throttled address does not become a flood of store transactions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../src/store/audit-store.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import type { TokenBucketStore } from '../src/store/token-bucket-store.ts';
import { createLoginThrottle } from '../src/users/login-throttle.ts';
import { createRecentRefusals } from '../src/users/recent-refusals.ts';

const T = 1_750_000_000_000;
const LIMITS = {
  perAccount: { limit: 5, windowSeconds: 900 },
  perSource: { limit: 20, windowSeconds: 900 },
};

/** A throttle on a memory store's buckets, counting the store calls it makes. */
function counted() {
  const buckets = createMemoryStore().tokenBuckets;
  const calls = { take: 0, reset: 0, refund: 0 };
  const counting: TokenBucketStore = {
    take: (...args) => {
      calls.take++;
      return buckets.take(...args);
    },
    reset: (...args) => {
      calls.reset++;
      return buckets.reset(...args);
    },
    refund: (...args) => {
      calls.refund++;
      return buckets.refund(...args);
    },
  };
  const events: AuditEvent[] = [];
  const throttle = createLoginThrottle(
    {
      audit: async (event) => {
        events.push(event as AuditEvent);
      },
      buckets: counting,
    },
    LIMITS,
  );
  const attempt = (username: string, now: number, remoteAddress = '198.51.100.7') =>
    throttle.attempt({ username, remoteAddress, now });
  return { calls, events, attempt };
}

describe('login throttle: its store calls', () => {
  it('one take per attempt; a success resets the name and refunds the source: two calls more', async () => {
    const { calls, attempt } = counted();
    for (let i = 0; i < 3; i++) assert.equal((await attempt('alice', T)).allowed, true);
    assert.deepEqual(calls, { take: 3, reset: 0, refund: 0 });
    const allowed = await attempt('alice', T);
    assert.ok(allowed.allowed);
    await allowed.succeeded();
    assert.deepEqual(calls, { take: 4, reset: 1, refund: 1 });
  });

  it('a flood against a locked name asks the store once a second, and audits once', async () => {
    const { calls, events, attempt } = counted();
    for (let i = 0; i < 5; i++) await attempt('alice', T);
    for (let i = 0; i < 100; i++) assert.equal((await attempt('alice', T + i)).allowed, false);
    assert.equal(calls.take, 6, 'five charged, one refused by the store, 99 by the instance');
    for (let i = 0; i < 100; i++) await attempt('alice', T + 1_000 + i);
    assert.equal(calls.take, 7);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.detail?.retry_after, 180);
  });

  it('another name from the same address is not refused by the memory of the first', async () => {
    const { calls, attempt } = counted();
    for (let i = 0; i < 6; i++) await attempt('alice', T);
    assert.equal((await attempt('bob', T)).allowed, true);
    assert.equal(calls.take, 7);
  });
});

describe('recent refusals', () => {
  it('recalls a refusal for a second at most, never past the wait the store gave', () => {
    const recent = createRecentRefusals();
    recent.note([{ key: 'a', retryAfterMs: 180_000 }], T);
    recent.note([{ key: 'b', retryAfterMs: 300 }], T);
    assert.deepEqual(recent.recall(['a', 'b', 'c'], T + 100), [
      { key: 'a', retryAfterMs: 179_900 },
      { key: 'b', retryAfterMs: 200 },
    ]);
    assert.deepEqual(recent.recall(['a', 'b'], T + 300), [{ key: 'a', retryAfterMs: 179_700 }]);
    assert.deepEqual(recent.recall(['a'], T + 1_000), []);
  });

  it('a clock stepping backwards makes it ask the store; forget drops a key', () => {
    const recent = createRecentRefusals();
    recent.note([{ key: 'a', retryAfterMs: 180_000 }], T);
    assert.deepEqual(recent.recall(['a'], T - 1), []);
    recent.forget(['a']);
    assert.deepEqual(recent.recall(['a'], T), []);
  });

  it('is bounded: the oldest key is forgotten first', () => {
    const recent = createRecentRefusals(1_000, 2);
    recent.note([{ key: 'a', retryAfterMs: 5_000 }], T);
    recent.note([{ key: 'b', retryAfterMs: 5_000 }], T);
    recent.note([{ key: 'c', retryAfterMs: 5_000 }], T);
    assert.deepEqual(
      recent.recall(['a', 'b', 'c'], T).map((r) => r.key),
      ['b', 'c'],
    );
  });
});
