export { CLIENT_CHANGE_RETENTION_MS } from './client-change-feed.ts';
export { createMemoryStore } from './memory/memory-store.ts';
export { createRecordRows, TABLES_WITH_EXPIRY } from './record-rows.ts';
export { mergedGrant, replayDecision, withinGrace } from './record-rules.ts';
export { type ColumnReader, type ColumnRow, createRowRecords, textColumn } from './row-records.ts';
export { migrateSqlite, sqliteMigrations } from './sqlite/migrations.ts';
export { openSqliteDatabase, openSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
export type * from './store.ts';
