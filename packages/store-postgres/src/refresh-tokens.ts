import { type RefreshTokenRecord, type RefreshTokenStore, withinGrace } from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection, Row } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresRefreshTokenStore({
  pool,
  first,
  transaction,
}: PostgresConnection): RefreshTokenStore {
  return {
    async create(token) {
      await insertRefreshToken(pool, token);
    },
    async get(digest) {
      const row = await first('SELECT * FROM refresh_tokens WHERE digest = $1', [digest]);
      return row === undefined ? undefined : records.refreshTokenFromRow(row);
    },
    async rotate(presentedDigest, next, now, graceMs) {
      return transaction(async (client) => {
        // The row lock serialises rotations of one token: the second waits and then reads the
        // first one's used_at, so of N first uses exactly one is `rotated`.
        const { rows } = await client.query<Row>(
          'SELECT * FROM refresh_tokens WHERE digest = $1 FOR UPDATE',
          [presentedDigest],
        );
        if (rows[0] === undefined) return { outcome: 'unknown' } as const;
        const presented = records.refreshTokenFromRow(rows[0]);
        if (presented.usedAt !== undefined && !withinGrace(presented.usedAt, now, graceMs)) {
          return { outcome: 'reused', presented } as const;
        }
        await insertRefreshToken(client, next);
        if (presented.usedAt !== undefined) return { outcome: 'rotated_in_grace', presented } as const;
        await client.query('UPDATE refresh_tokens SET used_at = $1 WHERE digest = $2', [
          now,
          presentedDigest,
        ]);
        return { outcome: 'rotated', presented: { ...presented, usedAt: now } } as const;
      });
    },
  };
}

async function insertRefreshToken(runner: pg.Pool | pg.PoolClient, token: RefreshTokenRecord): Promise<void> {
  await runner.query(
    'INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)',
    rows.refreshTokenRow(token),
  );
}
