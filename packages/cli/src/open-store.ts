import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createMemoryStore, openSqliteStore, type Store } from '@gatehouse-oauth/server';
import { openPostgresStore } from '@gatehouse-oauth/store-postgres';
import { ConfigError, type GatehouseConfig } from './config.ts';
import { cliLogger } from './log-format.ts';
import { StartupError, systemCode } from './startup-error.ts';

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
    try {
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
    } catch (error) {
      throw postgresStartFailure(error, url);
    }
  }
  const directory = resolve(config.data);
  const file = join(directory, 'gatehouse.sqlite');
  const fileExisted = existsSync(file);
  // The first directory this call made (the data directory or a parent of it), if any.
  const createdDirectory = mkdirSync(directory, { recursive: true, mode: 0o700 });
  const { synchronous, checkpointIntervalMs } = config.sqlite;
  const store = await openSqliteStore({ path: file, synchronous, checkpointIntervalMs });
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

/**
 * PostgreSQL could not be opened at start: one line saying which server (never the password) and
 * what to check, instead of a stack trace. Errors that are not about reaching or entering the
 * database (a migration bug) are left as they are.
 */
function postgresStartFailure(error: unknown, url: string): unknown {
  let where = 'the database in postgres.url';
  try {
    const parsed = new URL(url);
    where = `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    // An unparsable URL: pg said why below.
  }
  const code = systemCode(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  const reachable: Record<string, string> = {
    ECONNREFUSED: 'refused the connection: is it running, and are the host and port in postgres.url right?',
    ENOTFOUND: 'has a host name that does not resolve: check postgres.url',
    EAI_AGAIN: 'has a host name that does not resolve right now: check postgres.url and DNS',
    ETIMEDOUT: 'did not answer in time: check the host, the firewall and postgres.connect_timeout_ms',
    EHOSTUNREACH: 'is unreachable from this machine: check the host and the network',
    '28P01': 'refused the user name or password in postgres.url',
    '28000': 'refused this user (pg_hba.conf): check the user and where it may connect from',
    '3D000': 'has no database of that name: create it, or fix the name in postgres.url',
    '42501': 'refused a permission the migrations need: grant the user CREATE on the database or schema',
  };
  const advice = code === undefined ? undefined : reachable[code];
  if (advice === undefined && !/timeout|terminated|connect/i.test(message)) return error;
  return new StartupError(`cannot open ${where}: it ${advice ?? `failed (${message})`}`);
}
