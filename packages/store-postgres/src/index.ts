/**
 * @gatehouse-oauth/store-postgres: the PostgreSQL implementation of Gatehouse's Store, for several
 * instances behind one issuer. It passes the same contract suite as the memory and SQLite stores
 * (packages/server/test/store-contract.ts), against a real PostgreSQL.
 */
export { type MigrateOptions, migratePostgres, postgresMigrations } from './migrations.ts';
export { createPostgresPool, type PostgresStoreOptions } from './pool.ts';
export { openPostgresStore } from './postgres-store.ts';
export {
  isStoreUnavailable,
  markStoreUnavailable,
  STORE_UNAVAILABLE,
  storeErrorCode,
} from './store-errors.ts';
export { withTransaction } from './transaction.ts';
