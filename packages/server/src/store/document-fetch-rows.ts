import type {
  DocumentFetch,
  DocumentFetchOutcome,
  FetchCertificate,
  RecordedDocumentFetch,
} from './document-fetch-store.ts';
import type { ColumnReader, ColumnRow } from './row-records.ts';

/**
 * The fetch log's rows in both SQL stores (SQLite and PostgreSQL share the column names; decision
 * 0022): kept beside its aggregate rather than in the shared row-records.ts, since nothing else reads
 * these columns.
 *
 * Columns: id, client_id, host, at, duration_ms, outcome, reason, status, digest, body, headers
 * (JSON), remote_address, tls (JSON).
 */
export const DOCUMENT_FETCH_COLUMNS =
  'client_id, host, at, duration_ms, outcome, reason, status, digest, body, headers, remote_address, tls';

/** The values of DOCUMENT_FETCH_COLUMNS, in that order; NULL for what the entry does not have. */
export function documentFetchRow(fetch: DocumentFetch): (string | number | null)[] {
  return [
    fetch.clientId,
    fetch.host,
    fetch.at,
    fetch.durationMs,
    fetch.outcome,
    fetch.reason ?? null,
    fetch.status ?? null,
    fetch.digest ?? null,
    fetch.body ?? null,
    fetch.headers === undefined ? null : JSON.stringify(fetch.headers),
    fetch.remoteAddress ?? null,
    fetch.tls === undefined ? null : JSON.stringify(fetch.tls),
  ];
}

export function documentFetchFromRow(read: ColumnReader, row: ColumnRow): RecordedDocumentFetch {
  const present = (column: string) => row[column] !== null && row[column] !== undefined;
  const entry: RecordedDocumentFetch = {
    id: read.int(row, 'id'),
    clientId: read.text(row, 'client_id'),
    host: read.text(row, 'host'),
    at: read.int(row, 'at'),
    durationMs: read.int(row, 'duration_ms'),
    outcome: read.text(row, 'outcome') as DocumentFetchOutcome,
  };
  // Absent members stay absent (never `undefined`): records read back equal the ones written.
  if (present('reason')) entry.reason = read.text(row, 'reason');
  if (present('status')) entry.status = read.int(row, 'status');
  if (present('digest')) entry.digest = read.text(row, 'digest');
  if (present('body')) entry.body = read.text(row, 'body');
  if (present('headers')) entry.headers = read.json<Record<string, string>>(row, 'headers');
  if (present('remote_address')) entry.remoteAddress = read.text(row, 'remote_address');
  if (present('tls')) entry.tls = read.json<FetchCertificate>(row, 'tls');
  return entry;
}
