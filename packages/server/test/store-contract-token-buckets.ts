/**
 * The store contract suite, continued: the token buckets every instance shares (decision 0030,
 * src/store/token-bucket-store.ts). Every Store implementation runs it (memory-store.test.ts,
 * sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with the same conventions: a
 * fresh, empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store, TokenBucket } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';

const T = 1_750_000_000_000;
const MINUTE = 60_000;
const CONCURRENCY = 30;

/** 5 per 15 minutes: one token back every 3 minutes (the login throttle's default per account). */
const account: TokenBucket = { key: 'login-account:alice', limit: 5, windowMs: 15 * MINUTE };
const source: TokenBucket = { key: 'login-source:198.51.100.7', limit: 20, windowMs: 15 * MINUTE };

export function describeTokenBucketStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (token buckets): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** How many of `attempts` takes of `buckets` at `now`, one after the other, are allowed. */
    async function takes(buckets: TokenBucket[], attempts: number, now: number, on = store): Promise<number> {
      let taken = 0;
      for (let i = 0; i < attempts; i++) if ((await on.tokenBuckets.take(buckets, now)).taken) taken++;
      return taken;
    }

    it('a new key is a full bucket: a burst of `limit`, then refused with the wait for one token', async () => {
      assert.equal(await takes([account], 5, T), 5);
      assert.deepEqual(await store.tokenBuckets.take([account], T), {
        taken: false,
        refused: [{ key: account.key, retryAfterMs: 3 * MINUTE }],
      });
    });

    it('refills evenly: one token every window / limit, the whole burst after a window', async () => {
      await takes([account], 5, T);
      assert.equal(await takes([account], 1, T + 3 * MINUTE - 1), 0);
      const refused = await store.tokenBuckets.take([account], T + 3 * MINUTE - 1_000);
      assert.deepEqual(refused, { taken: false, refused: [{ key: account.key, retryAfterMs: 1_000 }] });
      assert.equal(await takes([account], 2, T + 3 * MINUTE), 1);
      assert.equal(await takes([account], 6, T + 3 * MINUTE + 15 * MINUTE), 5);
    });

    it('a refused take does not extend the wait', async () => {
      await takes([account], 5, T);
      for (let i = 1; i < 10; i++) await store.tokenBuckets.take([account], T + i * 1_000);
      assert.equal(await takes([account], 1, T + 3 * MINUTE), 1);
    });

    it('takes from every bucket or none: an empty one refuses, and the others keep their tokens', async () => {
      await takes([account], 5, T);
      const result = await store.tokenBuckets.take([source, account], T);
      assert.deepEqual(result, { taken: false, refused: [{ key: account.key, retryAfterMs: 3 * MINUTE }] });
      // The source was not charged by the refused attempt: still its whole burst.
      assert.equal(await takes([source], 21, T), 20);
    });

    it('lists every empty bucket of a refused take', async () => {
      const tight: TokenBucket = { key: 'login-source:203.0.113.1', limit: 1, windowMs: MINUTE };
      await takes([account], 5, T);
      await takes([tight], 1, T);
      const result = await store.tokenBuckets.take([account, tight], T);
      assert.deepEqual(result, {
        taken: false,
        refused: [
          { key: account.key, retryAfterMs: 3 * MINUTE },
          { key: tight.key, retryAfterMs: MINUTE },
        ],
      });
    });

    it('keys are independent', async () => {
      await takes([account], 5, T);
      assert.equal(await takes([{ ...account, key: 'login-account:bob' }], 1, T), 1);
    });

    it('refund gives one token back, never beyond the burst; a key with no state is full already', async () => {
      await takes([account], 5, T);
      await store.tokenBuckets.refund(account, T);
      assert.equal(await takes([account], 2, T), 1);
      await store.tokenBuckets.refund(source, T);
      assert.equal(await takes([source], 21, T), 20);
      for (let i = 0; i < 30; i++) await store.tokenBuckets.refund(source, T);
      assert.equal(await takes([source], 21, T), 20);
    });

    it('reset forgets the key: the next take starts from a full bucket', async () => {
      await takes([account], 5, T);
      await store.tokenBuckets.reset(account.key);
      assert.equal(await takes([account], 6, T), 5);
      await store.tokenBuckets.reset('login-account:nobody');
    });

    it('a clock stepping backwards mints no tokens', async () => {
      await takes([account], 5, T);
      assert.equal(await takes([account], 1, T - 60 * MINUTE), 0);
      assert.equal(await takes([account], 1, T + 3 * MINUTE - 1), 0);
    });

    it('purgeExpired drops only buckets that are full again: what is left still counts', async () => {
      const bob: TokenBucket = { ...account, key: 'login-account:bob' };
      await takes([account], 5, T);
      await takes([bob], 1, T);
      // Bob's one token is back after 3 minutes; Alice's five after 15.
      await store.purgeExpired(T + 3 * MINUTE);
      assert.equal(await takes([account], 1, T + 3 * MINUTE), 1);
      assert.equal(await takes([account], 1, T + 3 * MINUTE), 0);
      assert.equal(await takes([bob], 6, T + 3 * MINUTE), 5);
    });

    it(`of ${CONCURRENCY} concurrent takes of one key, exactly \`limit\` get a token`, async () => {
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, () => store.tokenBuckets.take([account], T)),
      );
      assert.equal(results.filter((r) => r.taken).length, 5);
    });

    it(`of ${CONCURRENCY} concurrent takes of a shared key with keys of their own, exactly \`limit\``, async () => {
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) =>
          store.tokenBuckets.take([{ ...source, key: `login-source:203.0.113.${i}` }, account], T),
        ),
      );
      assert.equal(results.filter((r) => r.taken).length, 5);
      // The refused ones spent nothing of their own source.
      const spent = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) =>
          takes([{ ...source, key: `login-source:203.0.113.${i}` }], 20, T),
        ),
      );
      assert.equal(spent.filter((n) => n === 20).length, CONCURRENCY - 5);
    });

    if (openTwoHandles !== undefined)
      it(`two instances taking one key ${CONCURRENCY} times at once never both get the last token`, async () => {
        const [first, second] = await openTwoHandles();
        try {
          const results = await Promise.all(
            Array.from({ length: CONCURRENCY }, (_, i) =>
              (i % 2 === 0 ? first : second).tokenBuckets.take([source, account], T),
            ),
          );
          assert.equal(results.filter((r) => r.taken).length, 5);
          // What one instance took, the other sees spent; a reset on one is seen by the other.
          assert.equal(await takes([account], 1, T, second), 0);
          await first.tokenBuckets.reset(account.key);
          assert.equal(await takes([account], 6, T, second), 5);
          assert.equal(await takes([source], 20, T, first), 15);
        } finally {
          await first.close();
          await second.close();
        }
      });
  });
}
