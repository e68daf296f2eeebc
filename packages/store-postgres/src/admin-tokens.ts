import type { AdminTokenStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresAdminTokenStore({ query, first, count }: PostgresConnection): AdminTokenStore {
  return {
    async insert(record) {
      // No ON CONFLICT: a taken digest or id is a bug (both are random), and throws.
      await query(
        `INSERT INTO admin_tokens (digest, id, scope, label, created_by, created_at, expires_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        rows.adminTokenRow(record),
      );
    },
    async findByDigest(digest) {
      const row = await first('SELECT * FROM admin_tokens WHERE digest = $1', [digest]);
      return row === undefined ? undefined : records.adminTokenFromRow(row);
    },
    async list() {
      return (await query('SELECT * FROM admin_tokens ORDER BY created_at, id')).map(
        records.adminTokenFromRow,
      );
    },
    async revoke(id, now) {
      // A concurrent revocation waits for this row and re-checks revoked_at: exactly one reports true.
      const revoked = await count(
        'UPDATE admin_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [now, id],
      );
      return revoked > 0;
    },
  };
}
