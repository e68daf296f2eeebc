import { replayDecision } from '../record-rules.ts';
import { sameRefreshTokenSecret } from '../refresh-token-key.ts';
import type { RefreshTokenRecord, RefreshTokenStore } from '../refresh-token-store.ts';
import type { SqliteConnection } from './connection.ts';
import { records, rows, sqliteColumns } from './rows.ts';

/** Stores a refresh token; shared with the code exchange, which stores the family's first one. */
export function insertRefreshToken({ sql }: Pick<SqliteConnection, 'sql'>, token: RefreshTokenRecord): void {
  sql(
    'INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)',
  ).run(...rows.refreshTokenRow(token));
}

export function sqliteRefreshTokenStore(connection: SqliteConnection): RefreshTokenStore {
  const { sql, write } = connection;
  return {
    async create(token) {
      await write(() => insertRefreshToken(connection, token));
    },
    async get(digest) {
      const row = sql('SELECT * FROM refresh_tokens WHERE digest = ?').get(digest);
      return row === undefined ? undefined : records.refreshTokenFromRow(row);
    },
    async rotate(presentedDigest, next, now, window) {
      // One body of the group commit, run without an await between its read and its writes, in a
      // savepoint of its own: a successor that cannot be stored undoes the used mark with it.
      return write(() => {
        // The usual case first, in one statement: an unused token is marked used and read back.
        const rotated = sql(
          `UPDATE refresh_tokens SET used_at = ?, successor_digest = ? WHERE digest = ? AND used_at IS NULL
           RETURNING *`,
        ).get(now, next.digest, presentedDigest);
        if (rotated !== undefined) {
          insertRefreshToken(connection, next);
          return { outcome: 'rotated', presented: records.refreshTokenFromRow(rotated) } as const;
        }
        const row = sql('SELECT * FROM refresh_tokens WHERE digest = ?').get(presentedDigest);
        if (row === undefined) return { outcome: 'unknown' } as const;
        const presented = records.refreshTokenFromRow(row);
        // Unreachable in one synchronous body (the UPDATE above takes an unused token); typed out.
        if (presented.usedAt === undefined) return { outcome: 'unknown' } as const;
        // NULL only for a token used before successors were recorded: never the same secret.
        const successorDigest = typeof row.successor_digest === 'string' ? row.successor_digest : '';
        const decision = replayDecision(
          presented.usedAt,
          sqliteColumns.int(row, 'replays'),
          now,
          window,
          sameRefreshTokenSecret(successorDigest, next.digest),
        );
        if (decision === 'reuse') return { outcome: 'reused', presented } as const;
        if (decision === 'refused') return { outcome: 'replay_refused', presented } as const;
        sql('UPDATE refresh_tokens SET replays = replays + 1 WHERE digest = ?').run(presentedDigest);
        return { outcome: 'replayed', presented, successorDigest } as const;
      }, true);
    },
  };
}
