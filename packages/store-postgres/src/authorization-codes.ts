import type { AuthorizationCodeStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresAuthorizationCodeStore({
  query,
  first,
  count,
}: PostgresConnection): AuthorizationCodeStore {
  return {
    async create(code) {
      await query(
        `INSERT INTO authorization_codes (digest, client_id, user_id, grant_id, redirect_uri, redirect_uri_sent,
           code_challenge, scope, resources, auth_time, issued_at, expires_at, redeemed_at, family_id, dpop_jkt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        rows.codeRow(code),
      );
    },
    async redeem(digest, familyId, now) {
      // The conditional UPDATE is the whole race: a concurrent redeem waits on the row, re-checks
      // `redeemed_at IS NULL` against the winner's commit, and updates nothing.
      const won = await first(
        `UPDATE authorization_codes SET redeemed_at = $1, family_id = $2
         WHERE digest = $3 AND redeemed_at IS NULL RETURNING *`,
        [now, familyId, digest],
      );
      if (won !== undefined) return { outcome: 'redeemed', code: records.codeFromRow(won) };
      // A new statement, so a new snapshot: it sees the winner's committed values.
      const row = await first('SELECT * FROM authorization_codes WHERE digest = $1', [digest]);
      return row === undefined
        ? { outcome: 'unknown' }
        : { outcome: 'reused', code: records.codeFromRow(row) };
    },
    async deleteByClient(clientId) {
      // The same condition as redeem's: a racing redeem and this DELETE wait for each other on the
      // row and re-check `redeemed_at IS NULL`, so a code is either redeemed or deleted, never both.
      // Redeemed codes stay so that a late reuse is still detected. No index on client_id (codes
      // live a minute; an index would cost every code issued).
      return count('DELETE FROM authorization_codes WHERE client_id = $1 AND redeemed_at IS NULL', [
        clientId,
      ]);
    },
  };
}
