import type { ClientRecord, ClientStore } from '@gatehouse-oauth/server';
import type pg from 'pg';
import { indexClient, unindexClients } from './client-inventory.ts';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records, rows } from './rows.ts';

/** Every column is written, so fields absent from the new record are cleared (no merge). */
async function upsert(client: pg.PoolClient, record: ClientRecord): Promise<void> {
  await client.query(
    `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
     registration, registration_fingerprint, last_used_at, shared_registration)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
   ON CONFLICT (client_id) DO UPDATE SET
     kind = excluded.kind, metadata = excluded.metadata, secret_digest = excluded.secret_digest,
     secret_expires_at = excluded.secret_expires_at, created_at = excluded.created_at,
     updated_at = excluded.updated_at, registration = excluded.registration,
     registration_fingerprint = excluded.registration_fingerprint, last_used_at = excluded.last_used_at,
     shared_registration = excluded.shared_registration`,
    rows.clientRow(record),
  );
  // The inventory's index terms of the record go with it, in the caller's transaction.
  await indexClient(client, record);
}

/** The newest registration with a fingerprint: the shared record a registration is recognised as. */
const BY_FINGERPRINT =
  'SELECT * FROM clients WHERE registration_fingerprint = $1 ORDER BY created_at DESC LIMIT 1';

/** First key of the advisory lock that serialises `putShared` per fingerprint. */
const FINGERPRINT_LOCK = 0x6670_7274; // "fprt"

export function postgresClientStore({ query, first, transaction }: PostgresConnection): ClientStore {
  return {
    async get(clientId) {
      const row = await first('SELECT * FROM clients WHERE client_id = $1', [clientId]);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async put(record) {
      await transaction((client) => upsert(client, record));
    },
    async putInstallation(record) {
      // FOR SHARE holds the shared record until this transaction ends: a deleteUnlessInstallations
      // (FOR UPDATE) waits for it and then sees the installation, or ran first and left no row here.
      return transaction(async (client) => {
        const shared = await client.query('SELECT 1 FROM clients WHERE client_id = $1 FOR SHARE', [
          record.registration.sharedRegistration,
        ]);
        if (shared.rowCount === 0) return false;
        await upsert(client, record);
        return true;
      });
    },
    async deleteUnlessInstallations(clientId) {
      return transaction(async (client) => {
        // Locked first, so the check below (a new snapshot under READ COMMITTED) sees every
        // installation committed by a putInstallation that held the record.
        const locked = await client.query('SELECT 1 FROM clients WHERE client_id = $1 FOR UPDATE', [
          clientId,
        ]);
        if (locked.rowCount === 0) return false;
        const named = await client.query('SELECT 1 FROM clients WHERE shared_registration = $1 LIMIT 1', [
          clientId,
        ]);
        if ((named.rowCount ?? 0) > 0) return false;
        await client.query('DELETE FROM clients WHERE client_id = $1', [clientId]);
        await unindexClients(client, [clientId]);
        return true;
      });
    },
    async listInstallations(sharedClientId, options = {}) {
      const rows = await query(
        `SELECT client_id FROM clients WHERE shared_registration = $1
         AND ($2::text IS NULL OR client_id > $2::text) ORDER BY client_id LIMIT $3`,
        [sharedClientId, options.after ?? null, options.limit ?? null],
      );
      return rows.map((row) => postgresColumns.text(row, 'client_id'));
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
      const row = await first(BY_FINGERPRINT, [fingerprint]);
      return row === undefined ? undefined : records.clientFromRow(row);
    },
    async putShared(record) {
      // No unique index can hold the fingerprint (records from before decision 0046 may share one),
      // so a transaction-scoped advisory lock on it, taken before the look-up, serialises the
      // first registrations of one software across instances: one writes, the rest find it.
      return transaction(async (client) => {
        const { fingerprint } = record.registration;
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [FINGERPRINT_LOCK, fingerprint]);
        const found = await client.query(BY_FINGERPRINT, [fingerprint]);
        if (found.rows[0] !== undefined) return records.clientFromRow(found.rows[0]);
        await upsert(client, record);
        return record;
      });
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
             SELECT client_id FROM clients AS reaped WHERE kind = 'dcr' AND (
               (last_used_at IS NULL AND created_at < $1) OR last_used_at < $2)
               AND NOT EXISTS (SELECT 1 FROM clients WHERE shared_registration = reaped.client_id)
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
