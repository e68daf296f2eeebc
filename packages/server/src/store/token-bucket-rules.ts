/**
 * The arithmetic of TokenBucketStore (./token-bucket-store.ts), kept here once so the memory,
 * SQLite and PostgreSQL stores cannot drift apart: each reads the stored states of the keys inside
 * its transaction, asks these functions what to write, and writes it before committing.
 */
import type { TakeResult, TokenBucket } from './token-bucket-store.ts';

/** What is stored per key: the tokens left, counted at `updatedAt` (epoch ms). */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/** A state to write, with the time its bucket is full again (the row's purge time). */
export interface StoredBucket extends BucketState {
  key: string;
  expiresAt: number;
}

/**
 * Tokens are fractional (the refill is continuous) and stored as a double; a bucket refilled to
 * 0.9999999999 by rounding has its token. Far below anything a limit or window can express.
 */
const ROUNDING = 1e-9;

/** The bucket's state refilled up to `now`; a key with no state is a full bucket. */
export function refilled(state: BucketState | undefined, bucket: TokenBucket, now: number): BucketState {
  const { limit, windowMs } = bucket;
  if (!(limit >= 1 && windowMs > 0)) throw new RangeError(`invalid token bucket ${limit}/${windowMs} ms`);
  if (state === undefined) return { tokens: limit, updatedAt: now };
  // A clock that steps backwards (another instance's, or this one's) must not mint tokens.
  const elapsed = Math.max(0, now - state.updatedAt);
  return {
    tokens: Math.min(limit, state.tokens + (elapsed * limit) / windowMs),
    updatedAt: Math.max(now, state.updatedAt),
  };
}

function stored(bucket: TokenBucket, state: BucketState): StoredBucket {
  const missing = Math.max(0, bucket.limit - state.tokens);
  return {
    key: bucket.key,
    tokens: state.tokens,
    updatedAt: state.updatedAt,
    expiresAt: state.updatedAt + Math.ceil((missing * bucket.windowMs) / bucket.limit),
  };
}

/** Whole milliseconds until the bucket has a token (the float noise of the refill rounded away). */
function msUntilToken(bucket: TokenBucket, state: BucketState): number {
  return Math.ceil(((1 - state.tokens) * bucket.windowMs) / bucket.limit - ROUNDING * bucket.windowMs);
}

/**
 * TokenBucketStore.take: one token from each bucket, or none. A refusal writes nothing (the stored
 * state refills to the same answer later), so hammering a locked key neither extends its wait nor
 * writes to the database.
 */
export function takeTokens(
  buckets: readonly TokenBucket[],
  states: ReadonlyMap<string, BucketState>,
  now: number,
): { result: TakeResult; writes: StoredBucket[] } {
  const current = buckets.map((bucket) => ({ bucket, state: refilled(states.get(bucket.key), bucket, now) }));
  const refused = current
    .filter(({ state }) => state.tokens < 1 - ROUNDING)
    .map(({ bucket, state }) => ({
      key: bucket.key,
      retryAfterMs: msUntilToken(bucket, state),
    }));
  if (refused.length > 0) return { result: { taken: false, refused }, writes: [] };
  return {
    result: { taken: true },
    writes: current.map(({ bucket, state }) =>
      stored(bucket, { tokens: Math.max(0, state.tokens - 1), updatedAt: state.updatedAt }),
    ),
  };
}

/** TokenBucketStore.refund: the state to write, or nothing for a key with none (a full bucket). */
export function refundToken(
  bucket: TokenBucket,
  state: BucketState | undefined,
  now: number,
): StoredBucket | undefined {
  if (state === undefined) return undefined;
  const current = refilled(state, bucket, now);
  return stored(bucket, { tokens: Math.min(bucket.limit, current.tokens + 1), updatedAt: current.updatedAt });
}
