import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createMemoryStore, openSqliteStore, type Store } from '@gatehouse-oauth/server';
import { openPostgresStore } from '@gatehouse-oauth/store-postgres';
import { ConfigError, type GatehouseConfig } from './config.ts';
import { cliLogger } from './log-format.ts';

/** An open store, and how to close it while removing what opening it created on disk. */
export interface OpenedStore {
  store: Store;
  /**
   * Closes the store and removes the data directory or SQLite files this opening created, so a
   * start that fails after it (a setting the profile refuses) leaves the disk as it found it.
   */
  discard(): Promise<void>;
}

/**
 * The store the configuration names, migrated to the current schema. SQLite lives in the data
 * directory, created on first use; PostgreSQL is shared by every instance of one issuer.
 */
export async function openStore(config: GatehouseConfig): Promise<Store> {
  return (await openStoreUndoably(config)).store;
}

export async function openStoreUndoably(config: GatehouseConfig): Promise<OpenedStore> {
  if (config.store === 'memory') return closedOnDiscard(createMemoryStore());
  if (config.store === 'postgres') {
    const { url, poolSize, ssl, schema, connectTimeoutMs } = config.postgres;
    if (url === undefined)
      throw new ConfigError('store postgres needs postgres.url (GATEHOUSE_POSTGRES__URL)');
    const logger = await cliLogger(config);
    // Nothing on this machine's disk; migrations applied to the database are the release's own.
    return closedOnDiscard(
      await openPostgresStore({
        connectionString: url,
        poolSize,
        connectionTimeoutMillis: connectTimeoutMs,
        ...(ssl === undefined ? {} : { ssl }),
        ...(schema === undefined ? {} : { schema }),
        // A broken idle connection (a database restart) is logged; the pool replaces it by itself.
        onConnectionError: (error) => logger.warn({ err: error }, 'postgres connection lost'),
      }),
    );
  }
  const directory = resolve(config.data);
  const file = join(directory, 'gatehouse.sqlite');
  const fileExisted = existsSync(file);
  // The first directory this call made (the data directory or a parent of it), if any.
  const createdDirectory = mkdirSync(directory, { recursive: true, mode: 0o700 });
  const store = await openSqliteStore({ path: file });
  return {
    store,
    async discard() {
      await store.close();
      if (createdDirectory !== undefined) rmSync(createdDirectory, { recursive: true, force: true });
      else if (!fileExisted) {
        for (const path of [file, `${file}-wal`, `${file}-shm`]) rmSync(path, { force: true });
      }
    },
  };
}

function closedOnDiscard(store: Store): OpenedStore {
  return { store, discard: () => store.close() };
}
