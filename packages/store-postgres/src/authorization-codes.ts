import { type AuthorizationCodeStore, replayDecision } from '@gatehouse-oauth/server';
import type { PostgresConnection, Row } from './connection.ts';
import { records, rows } from './rows.ts';

/**
 * The redemption of a code whose checks passed, in one statement: the code marked, its family
 * inserted (over a tombstone, keeping it revoked, as TokenFamilyStore.create), its first refresh
 * token inserted ($15 NULL: none). Run in a transaction so that a family id that is taken, which
 * the upsert reports as no row rather than an error, undoes the rest too.
 */
const EXCHANGE = `
  WITH won AS (
    UPDATE authorization_codes SET redeemed_at = $1, family_id = $2
    WHERE digest = $20 AND redeemed_at IS NULL
    RETURNING *
  ), family AS (
    INSERT INTO token_families (id, grant_id, client_id, user_id, scope, resources, auth_time, created_at,
      expires_at, client_key_thumbprint, revoked_at, revoked_reason, dpop_jkt)
    SELECT $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::jsonb, $8::bigint, $9::bigint,
      $10::bigint, $11::text, $12::bigint, $13::text, $14::text
    FROM won
    ON CONFLICT (id) DO UPDATE SET
      grant_id = excluded.grant_id, client_id = excluded.client_id, user_id = excluded.user_id,
      scope = excluded.scope, resources = excluded.resources, auth_time = excluded.auth_time,
      created_at = excluded.created_at, expires_at = excluded.expires_at,
      client_key_thumbprint = excluded.client_key_thumbprint, dpop_jkt = excluded.dpop_jkt
    WHERE token_families.created_at IS NULL
    RETURNING id
  ), token AS (
    INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at)
    SELECT $15::text, $16::text, $17::bigint, $18::bigint, $19::bigint FROM won WHERE $15::text IS NOT NULL
  )
  SELECT won.*, (SELECT count(*) FROM family)::integer AS families FROM won`;

/** A second presentation counted as a replay: `replayDecision`'s conditions, in one statement. */
const REPLAY = `
  UPDATE authorization_codes SET replays = replays + 1
  WHERE digest = $1 AND redeemed_at IS NOT NULL AND $3::bigint > 0 AND redeemed_at >= $2::bigint - $3::bigint
    AND replays < $4
  RETURNING 1`;

export function postgresAuthorizationCodeStore({
  query,
  first,
  count,
  transaction,
}: PostgresConnection): AuthorizationCodeStore {
  /** A code that was not won: a new statement, so a new snapshot, which sees the winner's values. */
  const lost = async (digest: string) => {
    const row = await first('SELECT * FROM authorization_codes WHERE digest = $1', [digest]);
    return row === undefined
      ? ({ outcome: 'unknown' } as const)
      : ({ outcome: 'reused', code: records.codeFromRow(row) } as const);
  };
  return {
    async create(code) {
      await query(
        `INSERT INTO authorization_codes (digest, client_id, user_id, grant_id, redirect_uri, redirect_uri_sent,
           code_challenge, scope, resources, auth_time, issued_at, expires_at, redeemed_at, family_id, dpop_jkt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        rows.codeRow(code),
      );
    },
    async get(digest) {
      const row = await first('SELECT * FROM authorization_codes WHERE digest = $1', [digest]);
      return row === undefined ? undefined : records.codeFromRow(row);
    },
    async exchange(digest, { family, refreshToken, now }) {
      const token =
        refreshToken === undefined ? [null, null, null, null, null] : rows.refreshTokenRow(refreshToken);
      const won = await transaction(async (client) => {
        const { rows: result } = await client.query<Row>(EXCHANGE, [
          now,
          ...rows.familyRow(family),
          ...token,
          digest,
        ]);
        const row = result[0];
        if (row !== undefined && row.families !== 1)
          throw new Error(`token family ${family.id} already exists`);
        return row;
      });
      return won === undefined ? lost(digest) : { outcome: 'redeemed', code: records.codeFromRow(won) };
    },
    async redeem(digest, familyId, now) {
      // The conditional UPDATE is the whole race: a concurrent redeem waits on the row, re-checks
      // `redeemed_at IS NULL` against the winner's commit, and updates nothing.
      const won = await first(
        `UPDATE authorization_codes SET redeemed_at = $1, family_id = $2
         WHERE digest = $3 AND redeemed_at IS NULL RETURNING *`,
        [now, familyId, digest],
      );
      return won === undefined ? lost(digest) : { outcome: 'redeemed', code: records.codeFromRow(won) };
    },
    async replay(digest, now, window) {
      if ((await first(REPLAY, [digest, now, window.graceMs, window.reuseCount])) !== undefined)
        return { outcome: 'replayed' };
      // Not counted: redeemed_at is final and replays only grows, so this read decides as it did.
      const row = await first('SELECT redeemed_at FROM authorization_codes WHERE digest = $1', [digest]);
      if (row === undefined || row.redeemed_at === null) return { outcome: 'unknown' };
      const decision = replayDecision(Number(row.redeemed_at), 0, now, window);
      return { outcome: decision === 'reuse' ? 'reused' : 'replay_refused' };
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
