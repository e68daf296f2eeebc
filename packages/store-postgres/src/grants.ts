import { type GrantRecord, type GrantStore, type GrantUpsert, mergedGrant } from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection, Row } from './connection.ts';
import { jsonParameter, records, rows } from './rows.ts';

export function postgresGrantStore({ query, first, transaction }: PostgresConnection): GrantStore {
  return {
    async upsert(upsert) {
      return transaction((client) => upsertGrant(client, upsert));
    },
    async get(id) {
      const row = await first('SELECT * FROM grants WHERE id = $1', [id]);
      return row === undefined ? undefined : records.grantFromRow(row);
    },
    async find(userId, clientId, redirectUri) {
      const row = await first(
        'SELECT * FROM grants WHERE user_id = $1 AND client_id = $2 AND redirect_uri = $3',
        [userId, clientId, redirectUri],
      );
      return row === undefined ? undefined : records.grantFromRow(row);
    },
    async listByUser(userId) {
      return (await query('SELECT * FROM grants WHERE user_id = $1 ORDER BY created_at, id', [userId])).map(
        records.grantFromRow,
      );
    },
    async listByClient(clientId) {
      return (
        await query('SELECT * FROM grants WHERE client_id = $1 ORDER BY created_at, id', [clientId])
      ).map(records.grantFromRow);
    },
    async revoke(id, reason, now) {
      await transaction(async (client) => {
        await client.query('UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
          now,
          id,
        ]);
        // Families are revoked even when the grant already was: revoking is never undone.
        await client.query(
          `UPDATE token_families SET revoked_at = $1, revoked_reason = $2
           WHERE grant_id = $3 AND revoked_at IS NULL`,
          [now, reason, id],
        );
      });
    },
    async revokeByClient(clientId, reason, now) {
      return transaction(async (client) => {
        // The UPDATE locks the grants it revokes, so a concurrent upsert of one of them waits and
        // then sees it revoked (and replaces it: nothing revoked comes back).
        const revoked = await client.query<Row>(
          'UPDATE grants SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL RETURNING id',
          [now, clientId],
        );
        await client.query(
          `UPDATE token_families SET revoked_at = $1, revoked_reason = $2
           WHERE grant_id = ANY($3::text[]) AND revoked_at IS NULL`,
          [now, reason, revoked.rows.map((row) => row.id)],
        );
        return revoked.rows.length;
      });
    },
  };
}

/** GrantStore.upsert inside a transaction: insert, or lock the existing grant and merge into it. */
async function upsertGrant(client: pg.PoolClient, upsert: GrantUpsert): Promise<GrantRecord> {
  const inserted = await client.query<Row>(
    `INSERT INTO grants (id, user_id, client_id, redirect_uri, scope, resources, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (user_id, client_id, redirect_uri) DO NOTHING RETURNING *`,
    rows.grantRow({ ...upsert, createdAt: upsert.now, updatedAt: upsert.now }),
  );
  if (inserted.rows[0] !== undefined) return records.grantFromRow(inserted.rows[0]);
  // The installation's grant exists (ON CONFLICT waited for its inserter to commit). Lock it so
  // concurrent upserts merge one after another: none loses another's scopes.
  const locked = await client.query<Row>(
    'SELECT * FROM grants WHERE user_id = $1 AND client_id = $2 AND redirect_uri = $3 FOR UPDATE',
    [upsert.userId, upsert.clientId, upsert.redirectUri],
  );
  const row = locked.rows[0];
  if (row === undefined) throw new Error('grant vanished during upsert');
  const grant = mergedGrant(records.grantFromRow(row), upsert);
  await client.query(
    'UPDATE grants SET scope = $1, resources = $2, updated_at = $3, revoked_at = NULL WHERE id = $4',
    [jsonParameter(grant.scope), jsonParameter(grant.resources), grant.updatedAt, grant.id],
  );
  return grant;
}
