import type { InitialAccessTokenStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresInitialAccessTokenStore({
  query,
  first,
  count,
}: PostgresConnection): InitialAccessTokenStore {
  return {
    async create(token) {
      await query(
        `INSERT INTO initial_access_tokens (digest, id, label, created_at, expires_at, max_uses, uses, revoked_at, scope)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        rows.initialAccessTokenRow(token),
      );
    },
    async get(digest) {
      const row = await first('SELECT * FROM initial_access_tokens WHERE digest = $1', [digest]);
      return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
    },
    async use(digest, now) {
      // The conditions and the count in one statement. A concurrent use of the same token waits for
      // this row and re-checks `uses < max_uses` against the committed count: never more than max_uses.
      const row = await first(
        `UPDATE initial_access_tokens SET uses = uses + 1
         WHERE digest = $1 AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > $2) AND (max_uses IS NULL OR uses < max_uses)
         RETURNING *`,
        [digest, now],
      );
      return row === undefined ? undefined : records.initialAccessTokenFromRow(row);
    },
    async list() {
      return (await query('SELECT * FROM initial_access_tokens ORDER BY created_at, id')).map(
        records.initialAccessTokenFromRow,
      );
    },
    async revoke(id, now) {
      // Matches an already revoked token too (keeping its first revokedAt): "it existed" is the answer.
      const revoked = await count(
        'UPDATE initial_access_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1',
        [id, now],
      );
      return revoked > 0;
    },
  };
}
