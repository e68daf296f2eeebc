import type { InitialAccessTokenStore } from '../initial-access-token-store.ts';
import type { SqliteConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function sqliteInitialAccessTokenStore({ sql }: SqliteConnection): InitialAccessTokenStore {
  return {
    async create(token) {
      sql(
        `INSERT INTO initial_access_tokens (digest, id, label, created_at, expires_at, max_uses, uses, revoked_at, scope)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(...rows.initialAccessTokenRow(token));
    },
    async get(digest) {
      const row = sql('SELECT * FROM initial_access_tokens WHERE digest = ?').get(digest);
      return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
    },
    async use(digest, now) {
      // The conditions and the count in one statement: never more than max_uses, across processes.
      const row = sql(
        `UPDATE initial_access_tokens SET uses = uses + 1
         WHERE digest = :digest AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > :now) AND (max_uses IS NULL OR uses < max_uses)
         RETURNING *`,
      ).get({ digest, now });
      return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
    },
    async list() {
      return sql('SELECT * FROM initial_access_tokens ORDER BY created_at')
        .all()
        .map(records.initialAccessTokenFromRow);
    },
    async revoke(id, now) {
      const found = sql('SELECT 1 FROM initial_access_tokens WHERE id = ?').get(id) !== undefined;
      sql('UPDATE initial_access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id);
      return found;
    },
  };
}
