import type { ReplayStore } from '../replay-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed } from './rows.ts';

export function sqliteReplayStore({ sql, write }: SqliteConnection): ReplayStore {
  return {
    async remember(key, expiresAt, now) {
      // Inserts a new key or takes over an expired one; a live entry makes this a no-op.
      const result = await write(() =>
        sql(
          `INSERT INTO replay (key, expires_at) VALUES (:key, :expiresAt)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= :now`,
        ).run({ key, expiresAt, now }),
      );
      return changed(result);
    },
    async has(key, now) {
      return sql('SELECT 1 FROM replay WHERE key = ? AND expires_at > ?').get(key, now) !== undefined;
    },
  };
}
