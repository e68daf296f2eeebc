import type { ClientStore } from '../client-store.ts';
import { indexClient, unindexClient } from './client-inventory.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, records, rows } from './rows.ts';

export function sqliteClientStore(connection: SqliteConnection): ClientStore {
  const { sql, write, immediate } = connection;
  return {
    async get(clientId) {
      const row = sql('SELECT * FROM clients WHERE client_id = ?').get(clientId);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async put(record) {
      // Every column is written, so fields absent from the new record are cleared (no merge). The
      // inventory's index terms of the record go with it, in the same transaction.
      immediate(() => {
        sql(
          `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
           registration, registration_fingerprint, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET
           kind = excluded.kind, metadata = excluded.metadata, secret_digest = excluded.secret_digest,
           secret_expires_at = excluded.secret_expires_at, created_at = excluded.created_at,
           updated_at = excluded.updated_at, registration = excluded.registration,
           registration_fingerprint = excluded.registration_fingerprint, last_used_at = excluded.last_used_at`,
        ).run(...rows.clientRow(record));
        indexClient(connection, record);
      });
    },
    async findByFingerprint(fingerprint) {
      const row = sql(
        'SELECT * FROM clients WHERE registration_fingerprint = ? ORDER BY created_at DESC LIMIT 1',
      ).get(fingerprint);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async touch(clientId, now) {
      await write(() => sql('UPDATE clients SET last_used_at = ? WHERE client_id = ?').run(now, clientId));
    },
    async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
      // One statement: the rows chosen are the rows deleted, even with other instances reaping; their
      // index terms go in the same transaction.
      return immediate(() => {
        const reaped = sql(
          `DELETE FROM clients WHERE client_id IN (
             SELECT client_id FROM clients WHERE kind = 'dcr' AND (
               (last_used_at IS NULL AND created_at < :neverUsedCreatedBefore) OR last_used_at < :idleSince)
             ORDER BY created_at LIMIT :limit)
           RETURNING client_id`,
        )
          .all({ neverUsedCreatedBefore, idleSince, limit })
          .map((row) => String(row.client_id));
        for (const clientId of reaped) unindexClient(connection, clientId);
        return reaped;
      });
    },
    async delete(clientId) {
      return immediate(() => {
        const deleted = changed(sql('DELETE FROM clients WHERE client_id = ?').run(clientId));
        unindexClient(connection, clientId);
        return deleted;
      });
    },
    async list(options = {}) {
      return sql(
        `SELECT * FROM clients WHERE (:after IS NULL OR client_id > :after)
         ORDER BY client_id LIMIT :limit`,
      )
        .all({ after: options.after ?? null, limit: options.limit ?? -1 })
        .map(records.clientFromRow);
    },
  };
}
