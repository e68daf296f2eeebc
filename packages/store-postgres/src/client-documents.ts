import type {
  ClientDocumentStore,
  ClientDocumentVersion,
  RecordDocumentResult,
} from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection, Row } from './connection.ts';
import { jsonParameter, records } from './rows.ts';

/** First key of the advisory lock that serialises `clientDocuments.record` per client id. */
const DOCUMENT_LOCK = 0x6364_6f63; // "cdoc"

export function postgresClientDocumentStore({
  query,
  first,
  count,
  transaction,
}: PostgresConnection): ClientDocumentStore {
  return {
    async record(version, now) {
      return transaction((client) => recordDocument(client, version, now));
    },
    async latest(clientId) {
      const row = await first(
        'SELECT * FROM client_documents WHERE client_id = $1 ORDER BY fetched_at DESC, seq DESC LIMIT 1',
        [clientId],
      );
      return row === undefined ? undefined : records.clientDocumentFromRow(row);
    },
    async history(clientId, limit) {
      return (
        await query(
          'SELECT * FROM client_documents WHERE client_id = $1 ORDER BY fetched_at DESC, seq DESC LIMIT $2',
          [clientId, limit ?? null],
        )
      ).map(records.clientDocumentFromRow);
    },
    async deleteByClient(clientId) {
      return count('DELETE FROM client_documents WHERE client_id = $1', [clientId]);
    },
  };
}

async function recordDocument(
  client: pg.PoolClient,
  version: Omit<ClientDocumentVersion, 'lastSeenAt'>,
  now: number,
): Promise<RecordDocumentResult> {
  // A row lock cannot serialise this: the first version of a client has no row to lock, and
  // `ORDER BY ... LIMIT 1 FOR UPDATE` would re-check the old latest row, not find the new one.
  // So a transaction-scoped advisory lock on the client id, taken before reading the latest.
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DOCUMENT_LOCK, version.clientId]);
  const latestRows = await client.query<Row>(
    'SELECT * FROM client_documents WHERE client_id = $1 ORDER BY fetched_at DESC, seq DESC LIMIT 1',
    [version.clientId],
  );
  const latest =
    latestRows.rows[0] === undefined ? undefined : records.clientDocumentFromRow(latestRows.rows[0]);
  const headers = jsonParameter(version.headers);
  if (latest !== undefined && latest.digest === version.digest) {
    await client.query(
      `UPDATE client_documents SET last_seen_at = $1, headers = $2
       WHERE client_id = $3 AND fetched_at = $4 AND digest = $5`,
      [now, headers, latest.clientId, latest.fetchedAt, latest.digest],
    );
    return { changed: false, current: { ...latest, lastSeenAt: now, headers: { ...version.headers } } };
  }
  await client.query(
    `INSERT INTO client_documents (client_id, digest, body, fetched_at, last_seen_at, headers)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [version.clientId, version.digest, version.body, version.fetchedAt, now, headers],
  );
  const current = { ...version, headers: { ...version.headers }, lastSeenAt: now };
  return latest === undefined ? { changed: true, current } : { changed: true, current, previous: latest };
}
