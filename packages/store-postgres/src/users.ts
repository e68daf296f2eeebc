import type { UserStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records } from './rows.ts';

export function postgresUserStore({ query, first, count }: PostgresConnection): UserStore {
  return {
    async create(user) {
      // No conflict target: a taken id and a taken username both make the insert a no-op.
      const created = await count(
        `INSERT INTO users (id, username, password_hash, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [user.id, user.username, user.passwordHash, user.createdAt, user.disabledAt ?? null],
      );
      return created > 0;
    },
    async get(id) {
      const row = await first('SELECT * FROM users WHERE id = $1', [id]);
      return row === undefined ? undefined : records.userFromRow(row);
    },
    async findByUsername(username) {
      const row = await first('SELECT * FROM users WHERE username = $1', [username]);
      return row === undefined ? undefined : records.userFromRow(row);
    },
    async setPassword(id, passwordHash) {
      return (await count('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id])) > 0;
    },
    async list() {
      return (await query('SELECT * FROM users ORDER BY username')).map(records.userFromRow);
    },
    async count() {
      return postgresColumns.int((await first('SELECT count(*) AS count FROM users'))!, 'count');
    },
  };
}
