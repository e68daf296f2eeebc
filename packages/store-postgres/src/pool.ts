import pg from 'pg';

export interface PostgresStoreOptions {
  /** `postgresql://user:password@host:port/database`; every instance given the same one shares one state. */
  connectionString: string;
  /** Most connections this instance opens (default 10). */
  poolSize?: number;
  /** TLS: `true`, or node:tls connection options (e.g. `{ ca, rejectUnauthorized }`). Default: as the URL says. */
  ssl?: boolean | object;
  /**
   * Schema holding Gatehouse's tables, created if missing (lowercase letters, digits and `_`). Default:
   * the connecting role's search_path (normally `public`).
   */
  schema?: string;
  /**
   * How long to wait for a connection before failing the request (default 5000 ms), so a database
   * outage answers 503 quickly instead of queueing requests.
   */
  connectionTimeoutMillis?: number;
  /**
   * Called when an idle pooled connection breaks (the server restarted, a proxy dropped it). The pool
   * discards that connection and opens a new one on the next request; without a listener node-postgres
   * would crash the process on such an error.
   */
  onConnectionError?: (error: Error) => void;
  /**
   * This instance's own clock, which the store corrects to the database server's (`Store.clock`,
   * ./database-clock.ts, decision 0036). Default Date.now; tests give a skewed one.
   */
  localClock?: () => number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Every connection of a store parses BIGINT (epoch-millisecond times, counts) as a JS number. Set on
 * the pool, not on pg's global parsers, so other users of `pg` in the same process are untouched.
 * Epoch milliseconds stay far below 2^53.
 */
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, 'text', Number);

/** Opens a pool with the settings every Gatehouse connection uses (see PostgresStoreOptions). */
export function createPostgresPool(options: PostgresStoreOptions): pg.Pool {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(options.schema)}`);
  }
  const config: pg.PoolConfig = {
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    types,
    application_name: 'gatehouse',
  };
  if (options.ssl !== undefined) config.ssl = options.ssl;
  // A startup parameter, so the search_path is in force before the first query of every connection
  // (the name is validated above: nothing in it needs quoting).
  if (options.schema !== undefined) config.options = `-c search_path=${options.schema}`;
  const pool = new pg.Pool(config);
  pool.on('error', (error) => options.onConnectionError?.(error));
  return pool;
}
