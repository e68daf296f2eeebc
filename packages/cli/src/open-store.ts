import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createMemoryStore, openSqliteStore, type Store } from '@gatehouse/server';
import type { GatehouseConfig } from './config.ts';

/** The store the configuration names. SQLite lives in the data directory, created on first use. */
export function openStore(config: GatehouseConfig): Store {
  if (config.store === 'memory') return createMemoryStore();
  const directory = resolve(config.data);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  return openSqliteStore({ path: join(directory, 'gatehouse.sqlite') });
}
