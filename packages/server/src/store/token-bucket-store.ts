/**
 * Token buckets every instance sharing the store draws from (decision 0030): the login throttle's
 * per-account and per-source limits (users/login-throttle.ts), which held per process before and so
 * multiplied by the number of instances behind a balancer.
 *
 * A bucket holds at most `limit` tokens and refills at `limit / windowMs` tokens per millisecond; a
 * key with no stored state is a full bucket. The stored state is the tokens left and the time they
 * were counted at; the refill up to `now` is computed from them inside the operation that reads
 * them (./token-bucket-rules.ts), so no instance's clock ticks the buckets on its own. Each stored
 * state also carries `expiresAt`, the time its bucket is full again: from then on the row says
 * nothing a missing row would not, so `Store.purgeExpired` deletes it like any expired row, and keys
 * an attacker chooses (account names) do not grow the table beyond one window of attempts.
 */
export interface TokenBucket {
  /** The caller's key, namespaced by the caller (e.g. `login-account:alice`). */
  key: string;
  /** The burst: a bucket starts full with this many tokens and refills up to it. */
  limit: number;
  /** How long an empty bucket takes to refill completely, in milliseconds. */
  windowMs: number;
}

export type TakeResult =
  | { taken: true }
  | {
      taken: false;
      /** The buckets that had no whole token, each with the milliseconds until it has one. */
      refused: { key: string; retryAfterMs: number }[];
    };

/**
 * Contract: `take` is atomic across every instance sharing the store. It looks at every bucket
 * named and then takes one token from each, or from none when any of them has no whole token left,
 * in one transaction: two instances taking from the same key at once never both get its last token,
 * and a refused attempt spends nothing from the other buckets. The keys of one call are distinct.
 * `refund` and `reset` are atomic per key in the same sense (a refund is never lost to a concurrent
 * take, nor does it double one).
 */
export interface TokenBucketStore {
  /** Takes one token from every bucket, or none if any is empty (see the contract). */
  take(buckets: readonly TokenBucket[], now: number): Promise<TakeResult>;
  /** Gives one token back (never beyond the burst); a bucket with no stored state is full already. */
  refund(bucket: TokenBucket, now: number): Promise<void>;
  /** Forgets the key: its next `take` starts from a full bucket. */
  reset(key: string): Promise<void>;
}
