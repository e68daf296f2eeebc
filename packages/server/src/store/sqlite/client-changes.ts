import { CLIENT_CHANGE_RETENTION_MS, type ClientChangeFeed } from '../client-change-feed.ts';
import type { SqliteConnection } from './connection.ts';
import { records, sqliteColumns } from './rows.ts';

/**
 * The feed is the `client_changes` table. Its AUTOINCREMENT key is the sequence: assigned under
 * SQLite's single writer lock, so every publish, from any process on the file, gets a greater one.
 */
export function sqliteClientChangeFeed({ sql }: SqliteConnection): ClientChangeFeed {
  return {
    async publish(change) {
      const row = sql(
        'INSERT INTO client_changes (client_id, kind, at) VALUES (?, ?, ?) RETURNING sequence',
      ).get(change.clientId, change.kind, change.at);
      return sqliteColumns.int(row!, 'sequence');
    },
    async since(sequence, limit) {
      return sql('SELECT * FROM client_changes WHERE sequence > ? ORDER BY sequence LIMIT ?')
        .all(sequence, limit)
        .map(records.clientChangeFromRow);
    },
    async latest() {
      return sqliteColumns.int(
        sql('SELECT coalesce(max(sequence), 0) AS latest FROM client_changes').get()!,
        'latest',
      );
    },
  };
}

/**
 * Store.purgeExpired for the feed: changes older than the retention, except the newest one, which
 * is kept whatever its age so that `latest` keeps answering the greatest sequence published.
 */
export function purgeClientChanges({ sql }: SqliteConnection, now: number): void {
  sql(
    `DELETE FROM client_changes
     WHERE at < ? AND sequence < (SELECT max(sequence) FROM client_changes)`,
  ).run(now - CLIENT_CHANGE_RETENTION_MS);
}
