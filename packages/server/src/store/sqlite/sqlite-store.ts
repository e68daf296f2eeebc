import { EXPIRED_PURGE_BATCH, TABLES_WITH_EXPIRY } from '../record-rows.ts';
import type { Store } from '../store.ts';
import { sqliteAdminTokenStore } from './admin-tokens.ts';
import { sqliteAuditStore } from './audit.ts';
import { sqliteAuthorizationCodeStore } from './authorization-codes.ts';
import { sqliteAuthorizationRequestStore } from './authorization-requests.ts';
import { startCheckpointer } from './checkpointer.ts';
import { purgeClientChanges, sqliteClientChangeFeed } from './client-changes.ts';
import { sqliteClientDocumentStore } from './client-documents.ts';
import { sqliteClientInventoryStore } from './client-inventory.ts';
import { sqliteClientStore } from './clients.ts';
import {
  createSqliteConnection,
  openSqliteDatabase,
  type SqliteConnection,
  type SqliteSynchronous,
  type SqliteWriteCounters,
} from './connection.ts';
import { sqliteDocumentFetchStore } from './document-fetches.ts';
import { sqliteDocumentFreshnessStore } from './document-freshness.ts';
import { sqliteGovernanceStore } from './governance.ts';
import { sqliteGrantStore } from './grants.ts';
import { sqliteInitialAccessTokenStore } from './initial-access-tokens.ts';
import { migrateSqlite } from './migrations.ts';
import { sqliteRefreshTokenStore } from './refresh-tokens.ts';
import { sqliteReplayStore } from './replay.ts';
import { sqliteServerSecretStore } from './server-secrets.ts';
import { sqliteSessionStore } from './sessions.ts';
import { sqliteSigningKeyStore } from './signing-keys.ts';
import { sqliteTokenBucketStore } from './token-buckets.ts';
import { sqliteTokenFamilyStore } from './token-families.ts';
import { sqliteUserStore } from './users.ts';

export { openSqliteDatabase, type SqliteSynchronous, type SqliteWriteCounters } from './connection.ts';

export interface SqliteStoreOptions {
  /** Database file; every process and instance that shares it shares one authorization server state. */
  path: string;
  /** `normal` (default) or `full`: what a commit survives (connection.ts, docs/deployment.md). */
  synchronous?: SqliteSynchronous;
  /**
   * WAL checkpoints run on a worker thread this often (checkpointer.ts); 0: SQLite's automatic
   * checkpoint inside the committing write, as before. Default 200 ms.
   */
  checkpointIntervalMs?: number;
  /** WAL frames past which the checkpoint worker starts the WAL over (checkpointer.ts; tests). */
  walRestartFrames?: number;
  /** A write probe, filled in as the store commits (tests, the bench). */
  counters?: SqliteWriteCounters;
}

const DEFAULT_CHECKPOINT_INTERVAL_MS = 200;

/**
 * The embedded store: one SQLite file, shareable by several processes on one machine. Atomicity
 * across those processes comes from SQLite's single writer: each contract operation is either one
 * conditional statement (`UPDATE ... WHERE redeemed_at IS NULL`, `INSERT ... ON CONFLICT`, `DELETE
 * ... RETURNING`) or a `BEGIN IMMEDIATE` transaction, which takes the write lock before it reads,
 * so no other connection can change what it read before it writes.
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqliteDatabase(options.path, options.synchronous);
  try {
    migrateSqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const connection = createSqliteConnection(db, options.counters);
  const checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  let checkpointer: ReturnType<typeof startCheckpointer> | undefined;
  let walFrames = 0;
  if (checkpointIntervalMs > 0 && options.path !== ':memory:') {
    // Off the event loop from now on; back inside the commits if the worker fails (the default 1,000 pages).
    db.exec('PRAGMA wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(
      options.path,
      checkpointIntervalMs,
      {
        onFailure: () => {
          if (db.isOpen) db.exec('PRAGMA wal_autocheckpoint = 1000');
        },
        onCheckpoint: (frames) => {
          const { counters } = options;
          if (counters === undefined) return;
          counters.checkpoints++;
          if (frames < walFrames && counters.walRestarts !== undefined) counters.walRestarts++;
          walFrames = frames;
        },
      },
      options.walRestartFrames,
    );
  }

  return {
    kind: 'sqlite',
    clients: sqliteClientStore(connection),
    clientDocuments: sqliteClientDocumentStore(connection),
    clientChanges: sqliteClientChangeFeed(connection),
    initialAccessTokens: sqliteInitialAccessTokenStore(connection),
    users: sqliteUserStore(connection),
    signingKeys: sqliteSigningKeyStore(connection),
    serverSecrets: sqliteServerSecretStore(connection),
    sessions: sqliteSessionStore(connection),
    authorizationRequests: sqliteAuthorizationRequestStore(connection),
    authorizationCodes: sqliteAuthorizationCodeStore(connection),
    grants: sqliteGrantStore(connection),
    tokenFamilies: sqliteTokenFamilyStore(connection),
    refreshTokens: sqliteRefreshTokenStore(connection),
    replay: sqliteReplayStore(connection),
    audit: sqliteAuditStore(connection),
    governance: sqliteGovernanceStore(connection),
    adminTokens: sqliteAdminTokenStore(connection),
    documentFetches: sqliteDocumentFetchStore(connection),
    documentFreshness: sqliteDocumentFreshnessStore(connection),
    inventory: sqliteClientInventoryStore(connection),
    tokenBuckets: sqliteTokenBucketStore(connection),

    async purgeExpired(now, batch = EXPIRED_PURGE_BATCH) {
      // A batch per write (the group commit runs it in a later turn, after the requests of this
      // one), then a pause nine times as long: a large purge takes at most a tenth of the event
      // loop while it runs. Nothing waits for it, and a server at two thirds of its core under
      // steady load was pushed to saturation for seconds by a purge that took a quarter.
      for (const table of TABLES_WITH_EXPIRY) {
        for (;;) {
          const started = performance.now();
          const deleted = await connection.write(() => purgeExpiredBatch(connection, table, now, batch));
          if (deleted <= batch) break;
          const took = performance.now() - started;
          await new Promise((resolve) => setTimeout(resolve, took * (1 / PURGE_SHARE_OF_LOOP - 1)));
        }
      }
      await connection.write(() => purgeClientChanges(connection, now));
    },

    async close() {
      // A clean stop commits what is queued first: nothing resolved or pending is dropped.
      connection.flush();
      await checkpointer?.stop();
      // The last connection to close checkpoints the WAL and removes it.
      if (db.isOpen) db.close();
    },
  };
}

/** The most of the event loop a purge of expired rows takes while it runs. */
const PURGE_SHARE_OF_LOOP = 0.1;

/**
 * Deletes the oldest expired rows of `table` through its `expires_at` index: everything up to the
 * expiry of the (batch + 1)th oldest (so more than `batch` rows: more may be left), or, when no
 * more than `batch` have expired, all of them. Returns how many it deleted. (A bound by expiry, not
 * by key: `token_buckets` has no rowid, and SQLite is built without `DELETE … LIMIT`.)
 */
function purgeExpiredBatch(connection: SqliteConnection, table: string, now: number, batch: number): number {
  const { changes } = connection
    .sql(
      `DELETE FROM ${table} WHERE expires_at <= coalesce(
         (SELECT expires_at FROM ${table} WHERE expires_at <= ?1 ORDER BY expires_at LIMIT 1 OFFSET ?2), ?1)`,
    )
    .run(now, batch);
  return Number(changes);
}
