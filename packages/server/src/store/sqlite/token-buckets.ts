import type { BucketState, StoredBucket } from '../token-bucket-rules.ts';
import { refundToken, takeTokens } from '../token-bucket-rules.ts';
import type { TokenBucketStore } from '../token-bucket-store.ts';
import type { SqliteConnection } from './connection.ts';

/**
 * Token buckets in SQLite. Each operation reads and writes in one atomic write (a `BEGIN IMMEDIATE`
 * transaction, or a savepoint of the turn's group commit, which holds the write lock from its
 * first read), so no other process or connection on the file changes a bucket between the read
 * and the write. A refused take writes nothing.
 */
export function sqliteTokenBucketStore({ sql, write }: SqliteConnection): TokenBucketStore {
  const read = (key: string): BucketState | undefined => {
    const row = sql('SELECT tokens, updated_at FROM token_buckets WHERE key = ?').get(key);
    return row === undefined ? undefined : { tokens: Number(row.tokens), updatedAt: Number(row.updated_at) };
  };
  const save = (row: StoredBucket): void => {
    sql(
      `INSERT INTO token_buckets (key, tokens, updated_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET
         tokens = excluded.tokens, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
    ).run(row.key, row.tokens, row.updatedAt, row.expiresAt);
  };
  return {
    take(buckets, now) {
      return write(() => {
        const states = new Map<string, BucketState>();
        for (const { key } of buckets) {
          const state = read(key);
          if (state !== undefined) states.set(key, state);
        }
        const { result, writes } = takeTokens(buckets, states, now);
        writes.forEach(save);
        return result;
      }, true);
    },
    async refund(bucket, now) {
      await write(() => {
        const row = refundToken(bucket, read(bucket.key), now);
        if (row !== undefined) save(row);
      }, true);
    },
    async reset(key) {
      await write(() => sql('DELETE FROM token_buckets WHERE key = ?').run(key));
    },
  };
}
