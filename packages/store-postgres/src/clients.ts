import type { ClientStore } from '@gatehouse-oauth/server';
import { indexClient, unindexClients } from './client-inventory.ts';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records, rows } from './rows.ts';

export function postgresClientStore({ query, first, transaction }: PostgresConnection): ClientStore {
  return {
    async get(clientId) {
      const row = await first('SELECT * FROM clients WHERE client_id = $1', [clientId]);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async put(record) {
      // Every column is written, so fields absent from the new record are cleared (no merge). The
      // inventory's index terms of the record go with it, in the same transaction.
      await transaction(async (client) => {
        await client.query(
          `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
           registration, registration_fingerprint, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (client_id) DO UPDATE SET
           kind = excluded.kind, metadata = excluded.metadata, secret_digest = excluded.secret_digest,
           secret_expires_at = excluded.secret_expires_at, created_at = excluded.created_at,
           updated_at = excluded.updated_at, registration = excluded.registration,
           registration_fingerprint = excluded.registration_fingerprint, last_used_at = excluded.last_used_at`,
          rows.clientRow(record),
        );
        await indexClient(client, record);
      });
    },
    async delete(clientId) {
      return transaction(async (client) => {
        const deleted = await client.query('DELETE FROM clients WHERE client_id = $1', [clientId]);
        await unindexClients(client, [clientId]);
        return (deleted.rowCount ?? 0) > 0;
      });
    },
    async list(options = {}) {
      const rows = await query(
        `SELECT * FROM clients WHERE ($1::text IS NULL OR client_id > $1::text)
         ORDER BY client_id LIMIT $2`,
        [options.after ?? null, options.limit ?? null],
      );
      return rows.map(records.clientFromRow);
    },
    async findByFingerprint(fingerprint) {
      const row = await first(
        'SELECT * FROM clients WHERE registration_fingerprint = $1 ORDER BY created_at DESC LIMIT 1',
        [fingerprint],
      );
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async touch(clientId, now) {
      await query('UPDATE clients SET last_used_at = $1 WHERE client_id = $2', [now, clientId]);
    },
    async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
      // One statement: the rows chosen are the rows deleted. SKIP LOCKED lets instances reaping at
      // the same time take disjoint batches instead of queueing behind each other. Their index
      // terms go in the same transaction.
      return transaction(async (client) => {
        const { rows } = await client.query(
          `DELETE FROM clients WHERE client_id IN (
             SELECT client_id FROM clients WHERE kind = 'dcr' AND (
               (last_used_at IS NULL AND created_at < $1) OR last_used_at < $2)
             ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING client_id`,
          [neverUsedCreatedBefore, idleSince, limit],
        );
        const reaped = rows.map((row) => postgresColumns.text(row, 'client_id'));
        await unindexClients(client, reaped);
        return reaped;
      });
    },
  };
}
