import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger, createMemoryStore, openSqliteStore, type Store } from '@gatehouse-oauth/server';
import { openPostgresStore } from '@gatehouse-oauth/store-postgres';
import { ConfigError, type GatehouseConfig } from './config.ts';

/**
 * The store the configuration names, migrated to the current schema. SQLite lives in the data
 * directory, created on first use; PostgreSQL is shared by every instance of one issuer.
 */
export async function openStore(config: GatehouseConfig): Promise<Store> {
  if (config.store === 'memory') return createMemoryStore();
  if (config.store === 'postgres') {
    const { url, poolSize, ssl, schema, connectTimeoutMs } = config.postgres;
    if (url === undefined)
      throw new ConfigError('store postgres needs postgres.url (GATEHOUSE_POSTGRES__URL)');
    const logger = createLogger({ level: config.logLevel });
    return openPostgresStore({
      connectionString: url,
      poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      ...(ssl === undefined ? {} : { ssl }),
      ...(schema === undefined ? {} : { schema }),
      // A broken idle connection (a database restart) is logged; the pool replaces it by itself.
      onConnectionError: (error) => logger.warn({ err: error }, 'postgres connection lost'),
    });
  }
  const directory = resolve(config.data);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  return openSqliteStore({ path: join(directory, 'gatehouse.sqlite') });
}
