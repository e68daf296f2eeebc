import { TABLES_WITH_EXPIRY } from '../record-rows.ts';
import type { Store } from '../store.ts';
import { sqliteAdminTokenStore } from './admin-tokens.ts';
import { sqliteAuditStore } from './audit.ts';
import { sqliteAuthorizationCodeStore } from './authorization-codes.ts';
import { sqliteAuthorizationRequestStore } from './authorization-requests.ts';
import { purgeClientChanges, sqliteClientChangeFeed } from './client-changes.ts';
import { sqliteClientDocumentStore } from './client-documents.ts';
import { sqliteClientStore } from './clients.ts';
import { createSqliteConnection, openSqliteDatabase } from './connection.ts';
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
import { sqliteTokenFamilyStore } from './token-families.ts';
import { sqliteUserStore } from './users.ts';

export { openSqliteDatabase } from './connection.ts';

export interface SqliteStoreOptions {
  /** Database file; every process and instance that shares it shares one authorization server state. */
  path: string;
}

/**
 * The embedded store: one SQLite file, shareable by several processes on one machine. Atomicity
 * across those processes comes from SQLite's single writer: each contract operation is either one
 * conditional statement (`UPDATE ... WHERE redeemed_at IS NULL`, `INSERT ... ON CONFLICT`, `DELETE
 * ... RETURNING`) or a `BEGIN IMMEDIATE` transaction, which takes the write lock before it reads,
 * so no other connection can change what it read before it writes.
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqliteDatabase(options.path);
  try {
    migrateSqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const connection = createSqliteConnection(db);

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

    async purgeExpired(now) {
      connection.immediate(() => {
        for (const table of TABLES_WITH_EXPIRY)
          connection.sql(`DELETE FROM ${table} WHERE expires_at <= ?`).run(now);
        purgeClientChanges(connection, now);
      });
    },

    async close() {
      // A clean stop commits what is queued first: nothing resolved or pending is dropped.
      connection.flush();
      if (db.isOpen) db.close();
    },
  };
}
