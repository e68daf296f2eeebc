import { EXPIRED_PURGE_BATCH, type Store, TABLES_WITH_EXPIRY } from '@gatehouse-oauth/server';
import { postgresAdminTokenStore } from './admin-tokens.ts';
import { postgresAuditStore } from './audit.ts';
import { postgresAuthorizationCodeStore } from './authorization-codes.ts';
import { postgresAuthorizationRequestStore } from './authorization-requests.ts';
import { postgresClientChangeFeed, purgeClientChanges } from './client-changes.ts';
import { postgresClientDocumentStore } from './client-documents.ts';
import { postgresClientInventoryStore } from './client-inventory.ts';
import { postgresClientStore } from './clients.ts';
import { createPostgresConnection } from './connection.ts';
import { type DatabaseClock, startDatabaseClock } from './database-clock.ts';
import { postgresDocumentFetchStore } from './document-fetches.ts';
import { postgresDocumentFreshnessStore } from './document-freshness.ts';
import { postgresGovernanceStore } from './governance.ts';
import { postgresGrantStore } from './grants.ts';
import { postgresInitialAccessTokenStore } from './initial-access-tokens.ts';
import { migratePostgres } from './migrations.ts';
import { createPostgresPool, type PostgresStoreOptions } from './pool.ts';
import { postgresRefreshTokenStore } from './refresh-tokens.ts';
import { postgresReplayStore } from './replay.ts';
import { postgresServerSecretStore } from './server-secrets.ts';
import { postgresSessionStore } from './sessions.ts';
import { postgresSigningKeyStore } from './signing-keys.ts';
import { postgresTokenBucketStore } from './token-buckets.ts';
import { postgresTokenFamilyStore } from './token-families.ts';
import { postgresUserStore } from './users.ts';

/**
 * The scale-out store: any number of Gatehouse instances on one PostgreSQL database. Every contract
 * operation is atomic across instances: either one conditional statement (`UPDATE ... WHERE
 * redeemed_at IS NULL RETURNING *`, `INSERT ... ON CONFLICT`, `DELETE ... RETURNING`), which under
 * READ COMMITTED waits for a concurrent writer of the same row and re-checks its WHERE against the
 * committed row, or a transaction that first takes a row lock (`SELECT ... FOR UPDATE`) or, where
 * the row may not exist yet, a transaction-level advisory lock on the key.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = createPostgresPool(options);
  try {
    await migratePostgres(pool, options.schema === undefined ? {} : { schema: options.schema });
  } catch (error) {
    await pool.end();
    throw error;
  }
  let clock: DatabaseClock;
  try {
    clock = await startDatabaseClock(
      pool,
      options.localClock === undefined ? {} : { localClock: options.localClock },
    );
  } catch (error) {
    await pool.end();
    throw error;
  }
  const connection = createPostgresConnection(pool);

  return {
    kind: 'postgres',
    clients: postgresClientStore(connection),
    clientDocuments: postgresClientDocumentStore(connection),
    clientChanges: postgresClientChangeFeed(connection),
    initialAccessTokens: postgresInitialAccessTokenStore(connection),
    users: postgresUserStore(connection),
    signingKeys: postgresSigningKeyStore(connection),
    serverSecrets: postgresServerSecretStore(connection),
    sessions: postgresSessionStore(connection),
    authorizationRequests: postgresAuthorizationRequestStore(connection),
    authorizationCodes: postgresAuthorizationCodeStore(connection),
    grants: postgresGrantStore(connection),
    tokenFamilies: postgresTokenFamilyStore(connection),
    refreshTokens: postgresRefreshTokenStore(connection),
    replay: postgresReplayStore(connection),
    audit: postgresAuditStore(connection),
    governance: postgresGovernanceStore(connection),
    adminTokens: postgresAdminTokenStore(connection),
    documentFetches: postgresDocumentFetchStore(connection),
    documentFreshness: postgresDocumentFreshnessStore(connection),
    inventory: postgresClientInventoryStore(connection),
    tokenBuckets: postgresTokenBucketStore(connection),

    async purgeExpired(now, batch = EXPIRED_PURGE_BATCH) {
      // Oldest first through each table's expires_at index, a statement (and transaction) per batch:
      // no row is held for the whole purge. SKIP LOCKED: a row an exchange is deleting right now, or
      // another instance purging, is left to them instead of waited for.
      for (const table of TABLES_WITH_EXPIRY) {
        const purge = `DELETE FROM ${table} WHERE ctid IN
          (SELECT ctid FROM ${table} WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`;
        while ((await connection.count(purge, [now, batch])) === batch);
      }
      await connection.transaction((client) => purgeClientChanges(client, now));
    },

    async close() {
      clock.stop();
      await pool.end();
    },

    // The database's time, so instances with clocks that disagree still decide on one (decision 0036).
    clock: clock.now,
  };
}
