import type { ClientDocumentStore } from '../client-document-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changes, records } from './rows.ts';

export function sqliteClientDocumentStore({ sql, immediate }: SqliteConnection): ClientDocumentStore {
  return {
    async record(version, now) {
      return immediate(() => {
        const latestRow = sql(
          'SELECT * FROM client_documents WHERE client_id = ? ORDER BY fetched_at DESC, rowid DESC LIMIT 1',
        ).get(version.clientId);
        const latest = latestRow === undefined ? undefined : records.clientDocumentFromRow(latestRow);
        const headers = JSON.stringify(version.headers);
        if (latest !== undefined && latest.digest === version.digest) {
          sql(
            'UPDATE client_documents SET last_seen_at = ?, headers = ? WHERE client_id = ? AND fetched_at = ? AND digest = ?',
          ).run(now, headers, latest.clientId, latest.fetchedAt, latest.digest);
          return {
            changed: false,
            current: { ...latest, lastSeenAt: now, headers: { ...version.headers } },
          } as const;
        }
        sql(
          `INSERT INTO client_documents (client_id, digest, body, fetched_at, last_seen_at, headers)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        ).run(version.clientId, version.digest, version.body, version.fetchedAt, now, headers);
        const current = { ...version, headers: { ...version.headers }, lastSeenAt: now };
        return latest === undefined
          ? ({ changed: true, current } as const)
          : ({ changed: true, current, previous: latest } as const);
      });
    },
    async latest(clientId) {
      const row = sql(
        'SELECT * FROM client_documents WHERE client_id = ? ORDER BY fetched_at DESC, rowid DESC LIMIT 1',
      ).get(clientId);
      return row === undefined ? undefined : records.clientDocumentFromRow(row);
    },
    async history(clientId, limit) {
      return sql(
        'SELECT * FROM client_documents WHERE client_id = ? ORDER BY fetched_at DESC, rowid DESC LIMIT ?',
      )
        .all(clientId, limit ?? -1)
        .map(records.clientDocumentFromRow);
    },
    async deleteByClient(clientId) {
      return changes(sql('DELETE FROM client_documents WHERE client_id = ?').run(clientId));
    },
  };
}
