import type { UserStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records, rows } from './rows.ts';
import { storeErrorCode } from './store-errors.ts';

/** SQLSTATE unique_violation: here, only the partial unique index on users.sub can raise it. */
const UNIQUE_VIOLATION = '23505';

export function postgresUserStore({ query, first, count }: PostgresConnection): UserStore {
  return {
    async create(user) {
      // No conflict target: a taken id, username or sub all make the insert a no-op.
      const created = await count(
        `INSERT INTO users (id, username, password_hash, created_at, disabled_at, sub, admin) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING`,
        rows.userRow(user),
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
    async setDisabled(id, disabledAt) {
      return (await count('UPDATE users SET disabled_at = $1 WHERE id = $2', [disabledAt ?? null, id])) > 0;
    },
    async setSub(id, sub) {
      try {
        return (await count('UPDATE users SET sub = $1 WHERE id = $2', [sub ?? null, id])) > 0
          ? 'set'
          : 'unknown';
      } catch (error) {
        // The index decides, so two operators giving one subject to two accounts at once cannot both win.
        if (storeErrorCode(error) === UNIQUE_VIOLATION) return 'taken';
        throw error;
      }
    },
    async setAdmin(id, admin) {
      return (await count('UPDATE users SET admin = $1 WHERE id = $2', [admin, id])) > 0;
    },
    async delete(id) {
      return (await count('DELETE FROM users WHERE id = $1', [id])) > 0;
    },
    async list() {
      return (await query('SELECT * FROM users ORDER BY username')).map(records.userFromRow);
    },
    async count() {
      return postgresColumns.int((await first('SELECT count(*) AS count FROM users'))!, 'count');
    },
  };
}
