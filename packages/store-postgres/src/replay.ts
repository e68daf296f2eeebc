import type { ReplayStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';

export function postgresReplayStore({ first, count }: PostgresConnection): ReplayStore {
  return {
    async remember(key, expiresAt, now) {
      // Inserts a new key or takes over an expired one; a live entry makes this a no-op. A concurrent
      // remember of the same key waits on the row and finds it live.
      const remembered = await count(
        `INSERT INTO replay (key, expires_at) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= $3`,
        [key, expiresAt, now],
      );
      return remembered > 0;
    },
    async has(key, now) {
      return (
        (await first('SELECT 1 FROM replay WHERE key = $1 AND expires_at > $2', [key, now])) !== undefined
      );
    },
  };
}
