import type pg from 'pg';
import { queryWithRetry, withTransaction } from './transaction.ts';

export type Row = Record<string, unknown>;

/** What every aggregate of the PostgreSQL store works with: the pool and its ways to query it. */
export interface PostgresConnection {
  readonly pool: pg.Pool;
  /** One statement (its own transaction), re-run after a deadlock; its rows. */
  query(text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** One statement; its first row. */
  first(text: string, values?: readonly unknown[]): Promise<Row | undefined>;
  /** One statement; how many rows it changed. */
  count(text: string, values?: readonly unknown[]): Promise<number>;
  /** `body` in one transaction on one connection, re-run whole after a deadlock (./transaction.ts). */
  transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

export function createPostgresConnection(pool: pg.Pool): PostgresConnection {
  const query = async (text: string, values: readonly unknown[] = []): Promise<Row[]> =>
    (await queryWithRetry<Row>(pool, text, values)).rows;
  return {
    pool,
    query,
    first: async (text, values = []) => (await query(text, values))[0],
    count: async (text, values = []) => (await queryWithRetry(pool, text, values)).rowCount ?? 0,
    transaction: (body) => withTransaction(pool, body),
  };
}
