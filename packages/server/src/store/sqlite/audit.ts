import type { SQLInputValue } from 'node:sqlite';
import type { AuditStore } from '../audit-store.ts';
import type { SqliteConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function sqliteAuditStore({ sql, write }: SqliteConnection): AuditStore {
  return {
    async append(event) {
      await write(() =>
        sql(
          'INSERT INTO audit_events (at, type, client_id, user_id, reason, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(...rows.auditEventRow(event)),
      );
    },
    async list(options = {}) {
      const parameters: Record<string, SQLInputValue> = {
        type: options.type ?? null,
        clientId: options.clientId ?? null,
        userId: options.userId ?? null,
        actor: options.actor ?? null,
        limit: options.limit ?? -1,
      };
      // id breaks ties between events of the same millisecond: later appended, listed first.
      return sql(
        `SELECT * FROM audit_events
         WHERE (:type IS NULL OR type = :type) AND (:clientId IS NULL OR client_id = :clientId)
           AND (:userId IS NULL OR user_id = :userId) AND (:actor IS NULL OR actor = :actor)
         ORDER BY at DESC, id DESC LIMIT :limit`,
      )
        .all(parameters)
        .map(records.auditEventFromRow);
    },
  };
}
