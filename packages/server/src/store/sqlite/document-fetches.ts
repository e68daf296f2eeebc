import { DOCUMENT_FETCH_COLUMNS, documentFetchFromRow, documentFetchRow } from '../document-fetch-rows.ts';
import type { DocumentFetchStore } from '../document-fetch-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changes, sqliteColumns } from './rows.ts';

export function sqliteDocumentFetchStore({ sql, write, immediate }: SqliteConnection): DocumentFetchStore {
  const fromRow = (row: Record<string, unknown>) => documentFetchFromRow(sqliteColumns, row);
  return {
    async record(fetch) {
      // Group commit: a fetch is already slow, but its entry need not cost a commit of its own.
      await write(() => {
        sql(
          `INSERT INTO document_fetches (${DOCUMENT_FETCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...documentFetchRow(fetch));
        if (fetch.outcome !== 'accepted') return;
        // The earliest sighting wins, whichever record commits first.
        sql(
          `INSERT INTO document_hosts (host, first_seen_at) VALUES (?, ?)
           ON CONFLICT (host) DO UPDATE SET first_seen_at = MIN(first_seen_at, excluded.first_seen_at)`,
        ).run(fetch.host, fetch.at);
      }, true);
    },
    async list(clientId, options = {}) {
      return sql(
        `SELECT * FROM document_fetches WHERE client_id = :clientId AND (:before IS NULL OR id < :before)
         ORDER BY id DESC LIMIT :limit`,
      )
        .all({ clientId, before: options.before ?? null, limit: options.limit ?? -1 })
        .map(fromRow);
    },
    async latest(clientId) {
      const row = sql('SELECT * FROM document_fetches WHERE client_id = ? ORDER BY id DESC LIMIT 1').get(
        clientId,
      );
      return row === undefined ? undefined : fromRow(row);
    },
    async hostFirstSeen(host) {
      const row = sql('SELECT first_seen_at FROM document_hosts WHERE host = ?').get(host);
      return row === undefined ? undefined : sqliteColumns.int(row, 'first_seen_at');
    },
    async purge({ before, keepPerClient }) {
      return immediate(() =>
        changes(
          sql(
            `DELETE FROM document_fetches WHERE at < ? OR id IN (
               SELECT id FROM (
                 SELECT id, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY id DESC) AS position
                 FROM document_fetches)
               WHERE position > ?)`,
          ).run(before, keepPerClient),
        ),
      );
    },
    async deleteByClient(clientId) {
      return changes(sql('DELETE FROM document_fetches WHERE client_id = ?').run(clientId));
    },
  };
}
