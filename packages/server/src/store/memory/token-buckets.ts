import { refundToken, type StoredBucket, takeTokens } from '../token-bucket-rules.ts';
import type { TokenBucketStore } from '../token-bucket-store.ts';
import type { MemoryState } from './state.ts';

/** Token buckets in memory: read, decide and write with no `await` between, so atomic in-process. */
export function memoryTokenBucketStore({ tokenBuckets }: MemoryState): TokenBucketStore {
  const save = (row: StoredBucket) => tokenBuckets.set(row.key, row);
  return {
    async take(buckets, now) {
      const { result, writes } = takeTokens(buckets, tokenBuckets, now);
      writes.forEach(save);
      return result;
    },
    async refund(bucket, now) {
      const row = refundToken(bucket, tokenBuckets.get(bucket.key), now);
      if (row !== undefined) save(row);
    },
    async reset(key) {
      tokenBuckets.delete(key);
    },
  };
}
