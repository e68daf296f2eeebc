import { documentFreshnessFromRow } from '../document-freshness-rows.ts';
import type { DocumentFreshnessStore } from '../document-freshness-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, sqliteColumns } from './rows.ts';

export function sqliteDocumentFreshnessStore({ sql }: SqliteConnection): DocumentFreshnessStore {
  return {
    async get(clientId) {
      const row = sql('SELECT * FROM client_document_freshness WHERE client_id = ?').get(clientId);
      return row === undefined ? undefined : documentFreshnessFromRow(sqliteColumns, row);
    },
    async markStale(clientId, { digest, since, until, reason }) {
      // One statement: SQLite's single writer makes the first of concurrent marks the one that
      // finds no mark, and every later one a no-op.
      return changed(
        sql(
          `INSERT INTO client_document_freshness (client_id, stale_digest, stale_since, stale_until, stale_reason)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (client_id) DO UPDATE SET stale_digest = excluded.stale_digest,
             stale_since = excluded.stale_since, stale_until = excluded.stale_until,
             stale_reason = excluded.stale_reason
           WHERE client_document_freshness.stale_since IS NULL`,
        ).run(clientId, digest, since, until, reason),
      );
    },
    async clearStale(clientId, confirmedAt) {
      return changed(
        sql(
          `UPDATE client_document_freshness SET stale_digest = NULL, stale_since = NULL,
             stale_until = NULL, stale_reason = NULL
           WHERE client_id = ? AND stale_since <= ?`,
        ).run(clientId, confirmedAt),
      );
    },
    async evict(clientId, at) {
      sql(
        `INSERT INTO client_document_freshness (client_id, evicted_at) VALUES (?, ?)
         ON CONFLICT (client_id) DO UPDATE SET
           evicted_at = max(coalesce(evicted_at, excluded.evicted_at), excluded.evicted_at),
           stale_digest = NULL, stale_since = NULL, stale_until = NULL, stale_reason = NULL`,
      ).run(clientId, at);
    },
    async delete(clientId) {
      return changed(sql('DELETE FROM client_document_freshness WHERE client_id = ?').run(clientId));
    },
    async usedClients({ since, after, limit }) {
      return sql(
        `SELECT client_id FROM clients
         WHERE kind = 'cimd' AND last_used_at >= :since AND (:after IS NULL OR client_id > :after)
         ORDER BY client_id LIMIT :limit`,
      )
        .all({ since, after: after ?? null, limit })
        .map((row) => String(row.client_id));
    },
  };
}
