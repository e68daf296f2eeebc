import type { AuthorizationCodeStore } from '../authorization-code-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changes, records, rows } from './rows.ts';

export function sqliteAuthorizationCodeStore({ sql, write }: SqliteConnection): AuthorizationCodeStore {
  return {
    async create(code) {
      await write(() =>
        sql(
          `INSERT INTO authorization_codes (digest, client_id, user_id, grant_id, redirect_uri, redirect_uri_sent,
           code_challenge, scope, resources, auth_time, issued_at, expires_at, redeemed_at, family_id, dpop_jkt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...rows.codeRow(code)),
      );
    },
    async redeem(digest, familyId, now) {
      // The conditional UPDATE is the whole race: exactly one connection sees its row come back.
      const won = await write(() =>
        sql(
          `UPDATE authorization_codes SET redeemed_at = ?, family_id = ?
           WHERE digest = ? AND redeemed_at IS NULL RETURNING *`,
        ).get(now, familyId, digest),
      );
      if (won !== undefined) return { outcome: 'redeemed', code: records.codeFromRow(won) };
      // Redemption is final, so this later read sees the winner's values.
      const row = sql('SELECT * FROM authorization_codes WHERE digest = ?').get(digest);
      return row === undefined
        ? { outcome: 'unknown' }
        : { outcome: 'reused', code: records.codeFromRow(row) };
    },
    async deleteByClient(clientId) {
      // The same condition as redeem's: a code is either redeemed by a racing redeem or deleted here,
      // never both. Redeemed codes stay so that a late reuse is still detected. No index on client_id
      // (codes live a minute; an index would cost every code issued).
      return changes(
        sql('DELETE FROM authorization_codes WHERE client_id = ? AND redeemed_at IS NULL').run(clientId),
      );
    },
  };
}
