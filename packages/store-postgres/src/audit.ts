import type { AuditStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresAuditStore({ query }: PostgresConnection): AuditStore {
  return {
    async append(event) {
      await query(
        'INSERT INTO audit_events (at, type, client_id, user_id, reason, detail, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        rows.auditEventRow(event),
      );
    },
    async list(options = {}) {
      // id breaks ties between events of the same millisecond: later appended, listed first.
      const rows = await query(
        `SELECT * FROM audit_events
         WHERE ($1::text IS NULL OR type = $1::text) AND ($2::text IS NULL OR client_id = $2::text)
           AND ($3::text IS NULL OR user_id = $3::text) AND ($5::text IS NULL OR actor = $5::text)
         ORDER BY at DESC, id DESC LIMIT $4`,
        [
          options.type ?? null,
          options.clientId ?? null,
          options.userId ?? null,
          options.limit ?? null,
          options.actor ?? null,
        ],
      );
      return rows.map(records.auditEventFromRow);
    },
  };
}
