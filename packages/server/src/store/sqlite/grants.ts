import type { GrantRecord, GrantStore, GrantUpsert } from '../grant-store.ts';
import { mergedGrant } from '../record-rules.ts';
import type { SqliteConnection } from './connection.ts';
import { changes, records, rows } from './rows.ts';

export function sqliteGrantStore(connection: SqliteConnection): GrantStore {
  const { sql, write, immediate } = connection;
  return {
    async upsert(upsert) {
      return write(() => upsertGrant(connection, upsert), true);
    },
    async get(id) {
      const row = sql('SELECT * FROM grants WHERE id = ?').get(id);
      return row === undefined ? undefined : records.grantFromRow(row);
    },
    async find(userId, clientId, redirectUri) {
      const row = sql('SELECT * FROM grants WHERE user_id = ? AND client_id = ? AND redirect_uri = ?').get(
        userId,
        clientId,
        redirectUri,
      );
      return row === undefined ? undefined : records.grantFromRow(row);
    },
    async listByUser(userId) {
      return sql('SELECT * FROM grants WHERE user_id = ? ORDER BY created_at, id')
        .all(userId)
        .map(records.grantFromRow);
    },
    async listByClient(clientId) {
      return sql('SELECT * FROM grants WHERE client_id = ? ORDER BY created_at, id')
        .all(clientId)
        .map(records.grantFromRow);
    },
    async revoke(id, reason, now) {
      immediate(() => {
        sql('UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id);
        // Families are revoked even when the grant already was: revoking is never undone.
        sql(
          `UPDATE token_families SET revoked_at = ?, revoked_reason = ?
           WHERE grant_id = ? AND revoked_at IS NULL`,
        ).run(now, reason, id);
      });
    },
    async revokeByClient(clientId, reason, now) {
      // The families first, while the grants they belong to still read as live; both under the one
      // write lock, so no grant of the client can be revoked or revived in between.
      return immediate(() => {
        sql(
          `UPDATE token_families SET revoked_at = ?, revoked_reason = ?
           WHERE revoked_at IS NULL AND grant_id IN (
             SELECT id FROM grants WHERE client_id = ? AND revoked_at IS NULL)`,
        ).run(now, reason, clientId);
        return changes(
          sql('UPDATE grants SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL').run(
            now,
            clientId,
          ),
        );
      });
    },
  };
}

/** GrantStore.upsert, run inside a write transaction (so the read and the write see the same row). */
function upsertGrant({ sql }: SqliteConnection, upsert: GrantUpsert): GrantRecord {
  const row = sql('SELECT * FROM grants WHERE user_id = ? AND client_id = ? AND redirect_uri = ?').get(
    upsert.userId,
    upsert.clientId,
    upsert.redirectUri,
  );
  if (row === undefined) {
    const grant: GrantRecord = {
      id: upsert.id,
      userId: upsert.userId,
      clientId: upsert.clientId,
      redirectUri: upsert.redirectUri,
      scope: [...upsert.scope],
      resources: [...upsert.resources],
      createdAt: upsert.now,
      updatedAt: upsert.now,
    };
    sql(
      `INSERT INTO grants (id, user_id, client_id, redirect_uri, scope, resources, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...rows.grantRow(grant));
    return grant;
  }
  const grant = mergedGrant(records.grantFromRow(row), upsert);
  sql('UPDATE grants SET scope = ?, resources = ?, updated_at = ?, revoked_at = NULL WHERE id = ?').run(
    JSON.stringify(grant.scope),
    JSON.stringify(grant.resources),
    grant.updatedAt,
    grant.id,
  );
  return grant;
}
