import type { SessionStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records } from './rows.ts';

export function postgresSessionStore({ query, first }: PostgresConnection): SessionStore {
  return {
    async create(session) {
      await query('INSERT INTO sessions (digest, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4)', [
        session.digest,
        session.userId,
        session.authTime,
        session.expiresAt,
      ]);
    },
    async get(digest, now) {
      const row = await first('SELECT * FROM sessions WHERE digest = $1 AND expires_at > $2', [digest, now]);
      return row === undefined ? undefined : records.sessionFromRow(row);
    },
    async delete(digest) {
      await query('DELETE FROM sessions WHERE digest = $1', [digest]);
    },
  };
}
