import { CLIENT_CHANGE_RETENTION_MS, type ClientChangeFeed } from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records } from './rows.ts';

/**
 * The feed is the `client_changes` table; its identity column is the sequence. A sequence value is
 * taken when the INSERT runs, not when it commits, so a slow publisher's change can become visible
 * after a greater one was read: the contract lets readers re-read a short window for that.
 */
export function postgresClientChangeFeed({ first, query }: PostgresConnection): ClientChangeFeed {
  return {
    async publish(change) {
      const row = await first(
        'INSERT INTO client_changes (client_id, kind, at) VALUES ($1, $2, $3) RETURNING sequence',
        [change.clientId, change.kind, change.at],
      );
      return postgresColumns.int(row!, 'sequence');
    },
    async since(sequence, limit) {
      return (
        await query('SELECT * FROM client_changes WHERE sequence > $1 ORDER BY sequence LIMIT $2', [
          sequence,
          limit,
        ])
      ).map(records.clientChangeFromRow);
    },
    async latest() {
      return postgresColumns.int(
        (await first('SELECT coalesce(max(sequence), 0) AS latest FROM client_changes'))!,
        'latest',
      );
    },
  };
}

/**
 * Store.purgeExpired for the feed: changes older than the retention, except the newest one, which
 * is kept whatever its age so that `latest` keeps answering the greatest sequence published.
 */
export async function purgeClientChanges(client: pg.PoolClient, now: number): Promise<void> {
  await client.query(
    `DELETE FROM client_changes
     WHERE at < $1 AND sequence < (SELECT max(sequence) FROM client_changes)`,
    [now - CLIENT_CHANGE_RETENTION_MS],
  );
}
