import type { ClientRecord, ClientStore } from '../client-store.ts';
import { indexClient, unindexClient } from './client-inventory.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, records, rows } from './rows.ts';

/** The newest registration with a fingerprint: the shared record a registration is recognised as. */
const BY_FINGERPRINT =
  'SELECT * FROM clients WHERE registration_fingerprint = ? ORDER BY created_at DESC LIMIT 1';

export function sqliteClientStore(connection: SqliteConnection): ClientStore {
  const { sql, write, immediate } = connection;
  // Every column is written, so fields absent from the new record are cleared (no merge). The
  // inventory's index terms of the record go with it; the caller holds the transaction.
  function upsert(record: ClientRecord): void {
    sql(
      `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
       registration, registration_fingerprint, last_used_at, shared_registration)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (client_id) DO UPDATE SET
       kind = excluded.kind, metadata = excluded.metadata, secret_digest = excluded.secret_digest,
       secret_expires_at = excluded.secret_expires_at, created_at = excluded.created_at,
       updated_at = excluded.updated_at, registration = excluded.registration,
       registration_fingerprint = excluded.registration_fingerprint, last_used_at = excluded.last_used_at,
       shared_registration = excluded.shared_registration`,
    ).run(...rows.clientRow(record));
    indexClient(connection, record);
  }
  return {
    async get(clientId) {
      const row = sql('SELECT * FROM clients WHERE client_id = ?').get(clientId);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async put(record) {
      immediate(() => upsert(record));
    },
    async putInstallation(record) {
      // One immediate transaction: the shared record's presence and the write cannot be split by
      // a deleteUnlessInstallations, which takes the same write lock.
      return immediate(() => {
        const shared = sql('SELECT 1 FROM clients WHERE client_id = ?').get(
          record.registration.sharedRegistration,
        );
        if (shared === undefined) return false;
        upsert(record);
        return true;
      });
    },
    async deleteUnlessInstallations(clientId) {
      return immediate(() => {
        const deleted = changed(
          sql(
            `DELETE FROM clients WHERE client_id = ?
             AND NOT EXISTS (SELECT 1 FROM clients WHERE shared_registration = ?)`,
          ).run(clientId, clientId),
        );
        if (deleted) unindexClient(connection, clientId);
        return deleted;
      });
    },
    async listInstallations(sharedClientId, options = {}) {
      return sql(
        `SELECT client_id FROM clients WHERE shared_registration = :shared
         AND (:after IS NULL OR client_id > :after) ORDER BY client_id LIMIT :limit`,
      )
        .all({ shared: sharedClientId, after: options.after ?? null, limit: options.limit ?? -1 })
        .map((row) => String(row.client_id));
    },
    async findByFingerprint(fingerprint) {
      const row = sql(BY_FINGERPRINT).get(fingerprint);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async putShared(record) {
      // One immediate transaction: the look-up and the write hold the write lock together, so of
      // first registrations racing (here or in another process) one writes and the rest find it.
      return immediate(() => {
        const row = sql(BY_FINGERPRINT).get(record.registration.fingerprint);
        if (row !== undefined) return records.clientFromRow(row);
        upsert(record);
        return record;
      });
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
             SELECT client_id FROM clients AS reaped WHERE kind = 'dcr' AND (
               (last_used_at IS NULL AND created_at < :neverUsedCreatedBefore) OR last_used_at < :idleSince)
               AND NOT EXISTS (SELECT 1 FROM clients WHERE shared_registration = reaped.client_id)
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
