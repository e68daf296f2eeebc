import type { UserStore } from '../user-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, records, sqliteColumns } from './rows.ts';

export function sqliteUserStore({ sql }: SqliteConnection): UserStore {
  return {
    async create(user) {
      // No conflict target: a taken id and a taken username both make the insert a no-op.
      const result = sql(
        `INSERT INTO users (id, username, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ).run(user.id, user.username, user.passwordHash, user.createdAt, user.disabledAt ?? null);
      return changed(result);
    },
    async get(id) {
      const row = sql('SELECT * FROM users WHERE id = ?').get(id);
      return row === undefined ? undefined : records.userFromRow(row);
    },
    async findByUsername(username) {
      const row = sql('SELECT * FROM users WHERE username = ?').get(username);
      return row === undefined ? undefined : records.userFromRow(row);
    },
    async setPassword(id, passwordHash) {
      return changed(sql('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id));
    },
    async list() {
      return sql('SELECT * FROM users ORDER BY username').all().map(records.userFromRow);
    },
    async count() {
      return sqliteColumns.int(sql('SELECT count(*) AS count FROM users').get()!, 'count');
    },
  };
}
