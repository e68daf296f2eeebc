import type { TokenFamilyRecord, TokenFamilyStore } from '../token-family-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, changes, records, rows } from './rows.ts';

/**
 * Inserts a new family (TokenFamilyStore.create), shared with the code exchange: fills in a
 * tombstone (created_at IS NULL) if a revocation came first, keeping it revoked; throws when the id
 * is a family already (ids are random: a clash is a bug).
 */
export function insertFamily({ sql }: Pick<SqliteConnection, 'sql'>, family: TokenFamilyRecord): void {
  const result = sql(
    `INSERT INTO token_families (id, grant_id, client_id, user_id, scope, resources, auth_time, created_at,
       expires_at, client_key_thumbprint, revoked_at, revoked_reason, dpop_jkt)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       grant_id = excluded.grant_id, client_id = excluded.client_id, user_id = excluded.user_id,
       scope = excluded.scope, resources = excluded.resources, auth_time = excluded.auth_time,
       created_at = excluded.created_at, expires_at = excluded.expires_at,
       client_key_thumbprint = excluded.client_key_thumbprint, dpop_jkt = excluded.dpop_jkt
     WHERE token_families.created_at IS NULL`,
  ).run(...rows.familyRow(family));
  if (!changed(result)) throw new Error(`token family ${family.id} already exists`);
}

export function sqliteTokenFamilyStore(connection: SqliteConnection): TokenFamilyStore {
  const { sql, write } = connection;
  return {
    async create(family) {
      await write(() => insertFamily(connection, family));
    },
    async get(id) {
      const row = sql('SELECT * FROM token_families WHERE id = ? AND created_at IS NOT NULL').get(id);
      return row === undefined ? undefined : records.familyFromRow(row);
    },
    async revoke(id, reason, now) {
      // One statement: revokes a live family, or leaves a tombstone for one not created yet.
      await write(() =>
        sql(
          `INSERT INTO token_families (id, revoked_at, revoked_reason) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, revoked_reason = excluded.revoked_reason
           WHERE token_families.revoked_at IS NULL`,
        ).run(id, now, reason),
      );
    },
    async revokeByClient(clientId, reason, now) {
      return changes(
        sql(
          `UPDATE token_families SET revoked_at = ?, revoked_reason = ?
           WHERE client_id = ? AND revoked_at IS NULL`,
        ).run(now, reason, clientId),
      );
    },
    async revokeClientTokens(clientId, until, expiresAt) {
      await write(() =>
        sql(
          `INSERT INTO client_token_revocations (client_id, revoked_until, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (client_id) DO UPDATE SET
             revoked_until = max(revoked_until, excluded.revoked_until),
             expires_at = max(expires_at, excluded.expires_at)`,
        ).run(clientId, until, expiresAt),
      );
    },
    async clientTokensRevokedUntil(clientId, now) {
      const row = sql(
        'SELECT revoked_until FROM client_token_revocations WHERE client_id = ? AND expires_at > ?',
      ).get(clientId, now);
      return row === undefined ? undefined : Number(row.revoked_until);
    },
    async listByClient(clientId) {
      return sql('SELECT * FROM token_families WHERE client_id = ? ORDER BY created_at, id')
        .all(clientId)
        .map(records.familyFromRow);
    },
    async listByGrant(grantId) {
      return sql(
        'SELECT * FROM token_families WHERE grant_id = ? AND created_at IS NOT NULL ORDER BY created_at, id',
      )
        .all(grantId)
        .map(records.familyFromRow);
    },
  };
}
