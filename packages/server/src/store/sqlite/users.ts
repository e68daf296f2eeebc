import type { UserStore } from '../user-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, records, rows, sqliteColumns } from './rows.ts';

export function sqliteUserStore({ sql }: SqliteConnection): UserStore {
  return {
    async create(user) {
      // No conflict target: a taken id, username or sub all make the insert a no-op.
      const result = sql(
        `INSERT INTO users (id, username, password_hash, created_at, disabled_at, sub, admin) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ).run(...rows.userRow(user));
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
    async setDisabled(id, disabledAt) {
      return changed(sql('UPDATE users SET disabled_at = ? WHERE id = ?').run(disabledAt ?? null, id));
    },
    async setSub(id, sub) {
      // OR IGNORE: a sub another user holds skips the row (the unique index) instead of throwing;
      // no change then means either no such user or a taken sub, told apart by the lookup.
      const result = sql('UPDATE OR IGNORE users SET sub = ? WHERE id = ?').run(sub ?? null, id);
      if (changed(result)) return 'set';
      return sql('SELECT 1 FROM users WHERE id = ?').get(id) === undefined ? 'unknown' : 'taken';
    },
    async setAdmin(id, admin) {
      return changed(sql('UPDATE users SET admin = ? WHERE id = ?').run(admin ? 1 : 0, id));
    },
    async delete(id) {
      return changed(sql('DELETE FROM users WHERE id = ?').run(id));
    },
    async list() {
      return sql('SELECT * FROM users ORDER BY username').all().map(records.userFromRow);
    },
    async count() {
      return sqliteColumns.int(sql('SELECT count(*) AS count FROM users').get()!, 'count');
    },
  };
}
