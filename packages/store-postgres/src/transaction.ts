import type pg from 'pg';
import { markStoreUnavailable } from './store-errors.ts';

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
    let broken: Error | undefined;
    // pg-pool listens for a connection's 'error' only while it is idle; a connection that breaks
    // while checked out (PostgreSQL restarting, pg_terminate_backend) emits 'error' too, and with
    // no listener that is an uncaught exception that ends the process. The failed query rejects
    // as well, so here the error only marks the connection as not to be reused.
    const onError = (error: Error) => {
      broken = error;
    };
    const client = await checkOut(pool, onError);
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
      // A transaction is all or nothing: a connection lost mid-way rolls it back whole (or, lost
      // after COMMIT reached the server, it committed whole), never half-written.
      throw markStoreUnavailable(error);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
}

/**
 * A pooled connection with `onError` listening on it from the moment pg-pool hands it over. Not
 * `await pool.connect()`: pg-pool stops listening when it hands a connection out and resolves the
 * promise then, and the continuation runs a microtask later; a new connection whose ReadyForQuery
 * and a shutdown's FATAL arrive in one packet (issue #18: PostgreSQL stopping while a code exchange
 * connects) emitted 'error' in between, with no listener, and ended the process. A connection that
 * cannot be had (database down, pool wait timed out) is marked for the 503.
 */
function checkOut(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error !== undefined && error !== null) reject(markStoreUnavailable(error));
      else {
        client!.on('error', onError);
        resolve(client!);
      }
    });
  });
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
      throw markStoreUnavailable(error);
    }
  }
}
