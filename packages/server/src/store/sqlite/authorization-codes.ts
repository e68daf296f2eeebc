import type { AuthorizationCodeStore } from '../authorization-code-store.ts';
import { replayDecision } from '../record-rules.ts';
import type { SqliteConnection } from './connection.ts';
import { insertRefreshToken } from './refresh-tokens.ts';
import { changes, records, rows, sqliteColumns } from './rows.ts';
import { insertFamily } from './token-families.ts';

export function sqliteAuthorizationCodeStore(connection: SqliteConnection): AuthorizationCodeStore {
  const { sql, write } = connection;
  const codeOf = (digest: string) => {
    const row = sql('SELECT * FROM authorization_codes WHERE digest = ?').get(digest);
    return row === undefined ? undefined : records.codeFromRow(row);
  };
  /** The conditional UPDATE is the whole race: exactly one connection sees its row come back. */
  const burn = (digest: string, familyId: string, now: number) =>
    sql(
      `UPDATE authorization_codes SET redeemed_at = ?, family_id = ?
       WHERE digest = ? AND redeemed_at IS NULL RETURNING *`,
    ).get(now, familyId, digest);
  /** A code that was not won: redeemed by another (final, so this read sees the winner's values), or none. */
  const lost = (digest: string) => {
    const code = codeOf(digest);
    return code === undefined ? ({ outcome: 'unknown' } as const) : ({ outcome: 'reused', code } as const);
  };
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
    async get(digest) {
      return codeOf(digest);
    },
    async exchange(digest, { family, refreshToken, now }) {
      // One body, in a savepoint: the code, its family and its first refresh token commit together
      // (issue #18: three commits left codes used with no tokens, and families with no refresh token).
      return write(() => {
        const won = burn(digest, family.id, now);
        if (won === undefined) return lost(digest);
        insertFamily(connection, family);
        if (refreshToken !== undefined) insertRefreshToken(connection, refreshToken);
        return { outcome: 'redeemed', code: records.codeFromRow(won) } as const;
      }, true);
    },
    async redeem(digest, familyId, now) {
      const won = await write(() => burn(digest, familyId, now));
      if (won !== undefined) return { outcome: 'redeemed', code: records.codeFromRow(won) };
      return lost(digest);
    },
    async replay(digest, now, window) {
      return write(() => {
        const row = sql('SELECT redeemed_at, replays FROM authorization_codes WHERE digest = ?').get(digest);
        if (row === undefined || row.redeemed_at === null) return { outcome: 'unknown' } as const;
        const decision = replayDecision(
          sqliteColumns.int(row, 'redeemed_at'),
          sqliteColumns.int(row, 'replays'),
          now,
          window,
        );
        if (decision === 'reuse') return { outcome: 'reused' } as const;
        if (decision === 'refused') return { outcome: 'replay_refused' } as const;
        sql('UPDATE authorization_codes SET replays = replays + 1 WHERE digest = ?').run(digest);
        return { outcome: 'replayed' } as const;
      }, true);
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
