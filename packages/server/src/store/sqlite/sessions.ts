import type { SessionStore } from '../session-store.ts';
import type { SqliteConnection } from './connection.ts';
import { records } from './rows.ts';

export function sqliteSessionStore({ sql, write }: SqliteConnection): SessionStore {
  return {
    async create(session) {
      await write(() =>
        sql('INSERT INTO sessions (digest, user_id, auth_time, expires_at) VALUES (?, ?, ?, ?)').run(
          session.digest,
          session.userId,
          session.authTime,
          session.expiresAt,
        ),
      );
    },
    async get(digest, now) {
      const row = sql('SELECT * FROM sessions WHERE digest = ? AND expires_at > ?').get(digest, now);
      return row === undefined ? undefined : records.sessionFromRow(row);
    },
    async delete(digest) {
      sql('DELETE FROM sessions WHERE digest = ?').run(digest);
    },
  };
}
