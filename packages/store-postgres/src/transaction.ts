import type pg from 'pg';

/**
 * SQLSTATEs after which the whole transaction can simply run again: PostgreSQL rolled it back and
 * nothing it did is visible. 40001 serialization_failure, 40P01 deadlock_detected (two multi-row
 * updates, e.g. a grant revoke and a client block, locking the same families in another order).
 */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 5;

export function isRetryable(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    RETRYABLE.has(error.code)
  );
}

/**
 * Runs `body` in one transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when
 * it throws, and the connection always goes back to the pool (destroyed, not reused, when even the
 * ROLLBACK failed, e.g. the server went away). A deadlock or serialization failure re-runs `body`
 * from the start, so `body` must do nothing outside the database that it cannot repeat.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  body: (client: pg.PoolClient) => Promise<T>,
  options: { serializable?: boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(options.serializable === true ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      if (broken === undefined && attempt < ATTEMPTS && isRetryable(error)) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * One statement outside a transaction (it is its own transaction), re-run after a deadlock: a
 * statement that deadlocked was rolled back whole, so running it again is safe.
 */
export async function queryWithRetry<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.query<R>(text, values as unknown[]);
    } catch (error) {
      if (attempt < ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
  }
}
