import type { TokenFamilyStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresTokenFamilyStore({ query, first, count }: PostgresConnection): TokenFamilyStore {
  return {
    async create(family) {
      // Fills in a tombstone (created_at IS NULL) if a revocation came first, keeping it revoked;
      // an existing family makes the statement change nothing, which is an error (ids are random).
      const created = await count(
        `INSERT INTO token_families (id, grant_id, client_id, user_id, scope, resources, auth_time, created_at,
           expires_at, client_key_thumbprint, revoked_at, revoked_reason, dpop_jkt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO UPDATE SET
           grant_id = excluded.grant_id, client_id = excluded.client_id, user_id = excluded.user_id,
           scope = excluded.scope, resources = excluded.resources, auth_time = excluded.auth_time,
           created_at = excluded.created_at, expires_at = excluded.expires_at,
           client_key_thumbprint = excluded.client_key_thumbprint, dpop_jkt = excluded.dpop_jkt
         WHERE token_families.created_at IS NULL`,
        rows.familyRow(family),
      );
      if (created === 0) throw new Error(`token family ${family.id} already exists`);
    },
    async get(id) {
      const row = await first('SELECT * FROM token_families WHERE id = $1 AND created_at IS NOT NULL', [id]);
      return row === undefined ? undefined : records.familyFromRow(row);
    },
    async revoke(id, reason, now) {
      // One statement: revokes a live family, or leaves a tombstone for one not created yet.
      await query(
        `INSERT INTO token_families (id, revoked_at, revoked_reason) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, revoked_reason = excluded.revoked_reason
         WHERE token_families.revoked_at IS NULL`,
        [id, now, reason],
      );
    },
    async revokeByClient(clientId, reason, now) {
      return count(
        `UPDATE token_families SET revoked_at = $1, revoked_reason = $2
         WHERE client_id = $3 AND revoked_at IS NULL`,
        [now, reason, clientId],
      );
    },
    async revokeClientTokens(clientId, until, expiresAt) {
      await query(
        `INSERT INTO client_token_revocations (client_id, revoked_until, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (client_id) DO UPDATE SET
           revoked_until = greatest(client_token_revocations.revoked_until, excluded.revoked_until),
           expires_at = greatest(client_token_revocations.expires_at, excluded.expires_at)`,
        [clientId, until, expiresAt],
      );
    },
    async clientTokensRevokedUntil(clientId, now) {
      const row = await first(
        'SELECT revoked_until FROM client_token_revocations WHERE client_id = $1 AND expires_at > $2',
        [clientId, now],
      );
      return row === undefined ? undefined : Number(row.revoked_until);
    },
    async listByClient(clientId) {
      return (
        await query('SELECT * FROM token_families WHERE client_id = $1 ORDER BY created_at, id', [clientId])
      ).map(records.familyFromRow);
    },
    async listByGrant(grantId) {
      return (
        await query(
          'SELECT * FROM token_families WHERE grant_id = $1 AND created_at IS NOT NULL ORDER BY created_at, id',
          [grantId],
        )
      ).map(records.familyFromRow);
    },
  };
}
