import { type DocumentFreshnessStore, documentFreshnessFromRow } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns } from './rows.ts';

export function postgresDocumentFreshnessStore({
  query,
  first,
  count,
}: PostgresConnection): DocumentFreshnessStore {
  return {
    async get(clientId) {
      const row = await first('SELECT * FROM client_document_freshness WHERE client_id = $1', [clientId]);
      return row === undefined ? undefined : documentFreshnessFromRow(postgresColumns, row);
    },
    async markStale(clientId, { digest, since, until, reason }) {
      // One statement: a concurrent mark waits for the row the first one inserted or updated, then
      // re-checks the WHERE against it and changes nothing, so exactly one reports the mark.
      const marked = await count(
        `INSERT INTO client_document_freshness (client_id, stale_digest, stale_since, stale_until, stale_reason)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (client_id) DO UPDATE SET stale_digest = excluded.stale_digest,
           stale_since = excluded.stale_since, stale_until = excluded.stale_until,
           stale_reason = excluded.stale_reason
         WHERE client_document_freshness.stale_since IS NULL`,
        [clientId, digest, since, until, reason],
      );
      return marked > 0;
    },
    async clearStale(clientId, confirmedAt) {
      const cleared = await count(
        `UPDATE client_document_freshness SET stale_digest = NULL, stale_since = NULL,
           stale_until = NULL, stale_reason = NULL
         WHERE client_id = $1 AND stale_since <= $2`,
        [clientId, confirmedAt],
      );
      return cleared > 0;
    },
    async evict(clientId, at) {
      await query(
        `INSERT INTO client_document_freshness (client_id, evicted_at) VALUES ($1, $2)
         ON CONFLICT (client_id) DO UPDATE SET
           evicted_at = greatest(client_document_freshness.evicted_at, excluded.evicted_at),
           stale_digest = NULL, stale_since = NULL, stale_until = NULL, stale_reason = NULL`,
        [clientId, at],
      );
    },
    async delete(clientId) {
      return (await count('DELETE FROM client_document_freshness WHERE client_id = $1', [clientId])) > 0;
    },
    async usedClients({ since, after, limit }) {
      const found = await query(
        `SELECT client_id FROM clients
         WHERE kind = 'cimd' AND last_used_at >= $1 AND ($2::text IS NULL OR client_id > $2)
         ORDER BY client_id LIMIT $3`,
        [since, after ?? null, limit],
      );
      return found.map((row) => String(row.client_id));
    },
  };
}
