import {
  DOCUMENT_FETCH_COLUMNS,
  type DocumentFetchStore,
  documentFetchFromRow,
  documentFetchRow,
} from '@gatehouse-oauth/server';
import type { PostgresConnection, Row } from './connection.ts';
import { postgresColumns } from './rows.ts';

const INSERT = `INSERT INTO document_fetches (${DOCUMENT_FETCH_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::jsonb)`;
// The earliest sighting wins, whichever record commits first.
const FIRST_SEEN = `INSERT INTO document_hosts (host, first_seen_at) VALUES ($1, $2)
  ON CONFLICT (host) DO UPDATE SET first_seen_at = LEAST(document_hosts.first_seen_at, EXCLUDED.first_seen_at)`;

export function postgresDocumentFetchStore({
  query,
  first,
  count,
  transaction,
}: PostgresConnection): DocumentFetchStore {
  const fromRow = (row: Row) => documentFetchFromRow(postgresColumns, row);
  return {
    async record(fetch) {
      const values = documentFetchRow(fetch);
      if (fetch.outcome !== 'accepted') {
        await query(INSERT, values);
        return;
      }
      await transaction(async (client) => {
        await client.query(INSERT, values);
        await client.query(FIRST_SEEN, [fetch.host, fetch.at]);
      });
    },
    async list(clientId, options = {}) {
      const rows = await query(
        `SELECT * FROM document_fetches WHERE client_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
         ORDER BY id DESC LIMIT $3`,
        [clientId, options.before ?? null, options.limit ?? null],
      );
      return rows.map(fromRow);
    },
    async latest(clientId) {
      const row = await first(
        'SELECT * FROM document_fetches WHERE client_id = $1 ORDER BY id DESC LIMIT 1',
        [clientId],
      );
      return row === undefined ? undefined : fromRow(row);
    },
    async hostFirstSeen(host) {
      const row = await first('SELECT first_seen_at FROM document_hosts WHERE host = $1', [host]);
      return row === undefined ? undefined : postgresColumns.int(row, 'first_seen_at');
    },
    async purge({ before, keepPerClient }) {
      return count(
        `DELETE FROM document_fetches WHERE at < $1 OR id IN (
           SELECT id FROM (
             SELECT id, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY id DESC) AS position
             FROM document_fetches) ranked
           WHERE position > $2)`,
        [before, keepPerClient],
      );
    },
    async deleteByClient(clientId) {
      return count('DELETE FROM document_fetches WHERE client_id = $1', [clientId]);
    },
  };
}
