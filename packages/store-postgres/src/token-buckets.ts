import {
  type BucketState,
  refundToken,
  type StoredBucket,
  type TokenBucketStore,
  takeTokens,
} from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection } from './connection.ts';

/** First key of the advisory locks that serialise the operations on one bucket. */
const BUCKET_LOCK = 0x746b_6e62; // "tknb"

/**
 * Token buckets in PostgreSQL. A bucket that is full has no row, so there may be nothing to lock
 * with `SELECT ... FOR UPDATE`: each operation first takes a transaction-scoped advisory lock per
 * key, in one order (sorted keys, so two takes of the same pair cannot deadlock; a hash collision
 * that did would be retried by the transaction), then reads, decides and writes before it commits.
 * A concurrent take of the same key waits on the lock and reads what this one wrote.
 */
export function postgresTokenBucketStore({ count, transaction }: PostgresConnection): TokenBucketStore {
  return {
    take(buckets, now) {
      return transaction(async (client) => {
        const states = await lockAndRead(
          client,
          buckets.map((bucket) => bucket.key),
        );
        const { result, writes } = takeTokens(buckets, states, now);
        await save(client, writes);
        return result;
      });
    },
    async refund(bucket, now) {
      await transaction(async (client) => {
        const states = await lockAndRead(client, [bucket.key]);
        const row = refundToken(bucket, states.get(bucket.key), now);
        if (row !== undefined) await save(client, [row]);
      });
    },
    async reset(key) {
      await count('DELETE FROM token_buckets WHERE key = $1', [key]);
    },
  };
}

async function lockAndRead(
  client: pg.PoolClient,
  keys: readonly string[],
): Promise<Map<string, BucketState>> {
  const sorted = [...new Set(keys)].sort();
  for (const key of sorted) {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BUCKET_LOCK, key]);
  }
  const { rows } = await client.query<{ key: string; tokens: number; updated_at: number }>(
    'SELECT key, tokens, updated_at FROM token_buckets WHERE key = ANY($1::text[])',
    [sorted],
  );
  return new Map(
    rows.map((row) => [row.key, { tokens: Number(row.tokens), updatedAt: Number(row.updated_at) }]),
  );
}

async function save(client: pg.PoolClient, writes: readonly StoredBucket[]): Promise<void> {
  for (const row of writes) {
    await client.query(
      `INSERT INTO token_buckets (key, tokens, updated_at, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET
         tokens = excluded.tokens, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
      [row.key, row.tokens, row.updatedAt, row.expiresAt],
    );
  }
}
