import type { AdminTokenStore } from '../admin-token-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, records, rows } from './rows.ts';

export function sqliteAdminTokenStore({ sql }: SqliteConnection): AdminTokenStore {
  return {
    async insert(record) {
      // No ON CONFLICT: a taken digest or id is a bug (both are random), and throws.
      sql(
        `INSERT INTO admin_tokens (digest, id, scope, label, created_by, created_at, expires_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(...rows.adminTokenRow(record));
    },
    async findByDigest(digest) {
      const row = sql('SELECT * FROM admin_tokens WHERE digest = ?').get(digest);
      return row === undefined ? undefined : records.adminTokenFromRow(row);
    },
    async list() {
      return sql('SELECT * FROM admin_tokens ORDER BY created_at, id').all().map(records.adminTokenFromRow);
    },
    async revoke(id, now) {
      // The condition in the statement: of concurrent revocations exactly one reports true.
      return changed(
        sql('UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id),
      );
    },
  };
}
