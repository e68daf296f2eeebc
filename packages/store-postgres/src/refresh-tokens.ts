import {
  REFRESH_TOKEN_SECRET_DIGEST_LENGTH,
  type RefreshTokenStore,
  replayDecision,
} from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records, rows } from './rows.ts';

/**
 * The first use, in one statement (its own transaction, one round trip on the warm path): the used
 * mark, the recorded successor and the successor itself. A concurrent rotation of the same token
 * waits on the row, re-checks `used_at IS NULL` against the winner's commit and changes nothing;
 * a successor that cannot be stored (its digest taken) fails the statement, used mark included.
 */
const ROTATE = `
  WITH used AS (
    UPDATE refresh_tokens SET used_at = $2, successor_digest = $3
    WHERE digest = $1 AND used_at IS NULL
    RETURNING *
  ), successor AS (
    INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at)
    SELECT $3::text, $4::text, $5::bigint, $6::bigint, $7::bigint FROM used
  )
  SELECT * FROM used`;

/**
 * A second presentation counted as a replay, in one conditional statement: the conditions of
 * `replayDecision` (@gatehouse-oauth/server record-rules.ts) in SQL, so that of N concurrent
 * replays, each waiting on the row and re-checking `replays` against the last commit, at most
 * `reuseCount` are counted. The successor matches when its key ends with the same digest of the
 * secret part (`sameRefreshTokenSecret` in SQL, @gatehouse-oauth/server store/refresh-token-key.ts:
 * a rotated token's key is its time, then that digest; decision 0051).
 */
const REPLAY = `
  UPDATE refresh_tokens SET replays = replays + 1
  WHERE digest = $1 AND used_at IS NOT NULL AND $3::bigint > 0 AND used_at >= $2::bigint - $3::bigint
    AND replays < $4
    AND right(successor_digest, ${REFRESH_TOKEN_SECRET_DIGEST_LENGTH}) = right($5, ${REFRESH_TOKEN_SECRET_DIGEST_LENGTH})
  RETURNING *`;

export function postgresRefreshTokenStore({ query, first }: PostgresConnection): RefreshTokenStore {
  return {
    async create(token) {
      // Through `query`, so a dropped connection is marked for the 503 like every other statement.
      await query(
        'INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)',
        rows.refreshTokenRow(token),
      );
    },
    async get(digest) {
      const row = await first('SELECT * FROM refresh_tokens WHERE digest = $1', [digest]);
      return row === undefined ? undefined : records.refreshTokenFromRow(row);
    },
    async rotate(presentedDigest, next, now, window) {
      const [successorDigest, familyId, issuedAt, expiresAt, usedAt] = rows.refreshTokenRow(next);
      const rotated = await first(ROTATE, [
        presentedDigest,
        now,
        successorDigest,
        familyId,
        issuedAt,
        expiresAt,
        usedAt,
      ]);
      if (rotated !== undefined)
        return { outcome: 'rotated', presented: records.refreshTokenFromRow(rotated) };
      const replayed = await first(REPLAY, [
        presentedDigest,
        now,
        window.graceMs,
        window.reuseCount,
        next.digest,
      ]);
      if (replayed !== undefined) {
        return {
          outcome: 'replayed',
          presented: records.refreshTokenFromRow(replayed),
          successorDigest: postgresColumns.text(replayed, 'successor_digest'),
        };
      }
      // Neither: unknown, or a second presentation that is not counted. used_at is final and
      // replays only grows, so this later read decides as the conditional UPDATE did.
      const row = await first('SELECT * FROM refresh_tokens WHERE digest = $1', [presentedDigest]);
      if (row === undefined) return { outcome: 'unknown' };
      const presented = records.refreshTokenFromRow(row);
      const decision = replayDecision(presented.usedAt ?? now, 0, now, window);
      return { outcome: decision === 'reuse' ? 'reused' : 'replay_refused', presented };
    },
  };
}
