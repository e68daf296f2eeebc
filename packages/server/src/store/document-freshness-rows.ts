import type { DocumentFreshness } from './document-freshness-store.ts';
import type { ColumnReader, ColumnRow } from './row-records.ts';

/**
 * The `client_document_freshness` row of the SQL stores as a record, read with the store's column
 * reader (./row-records.ts). A stale mark is whole or absent: `stale_since` NULL means none.
 */
export function documentFreshnessFromRow(read: ColumnReader, row: ColumnRow): DocumentFreshness {
  const freshness: DocumentFreshness = { clientId: read.text(row, 'client_id') };
  if (row.evicted_at !== null) freshness.evictedAt = read.int(row, 'evicted_at');
  if (row.stale_since !== null) {
    freshness.stale = {
      digest: read.text(row, 'stale_digest'),
      since: read.int(row, 'stale_since'),
      until: read.int(row, 'stale_until'),
      reason: read.text(row, 'stale_reason'),
    };
  }
  return freshness;
}
