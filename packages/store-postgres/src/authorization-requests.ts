import type { AuthorizationRequestStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresAuthorizationRequestStore({
  query,
  first,
  count,
}: PostgresConnection): AuthorizationRequestStore {
  return {
    async create(request) {
      await query(
        `INSERT INTO authorization_requests (id, client_id, redirect_uri, redirect_uri_sent, state, scope,
           resources, code_challenge, code_challenge_method, prompt, max_age, login_hint,
           browser_binding_digest, csrf_token, created_at, expires_at, dpop_jkt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        rows.requestRow(request),
      );
    },
    async get(id, now) {
      const row = await first('SELECT * FROM authorization_requests WHERE id = $1 AND expires_at > $2', [
        id,
        now,
      ]);
      return row === undefined ? undefined : records.requestFromRow(row);
    },
    async consume(id, now) {
      // One statement: a concurrent DELETE of the same row waits for this one, then finds it gone.
      const row = await first(
        'DELETE FROM authorization_requests WHERE id = $1 AND expires_at > $2 RETURNING *',
        [id, now],
      );
      return row === undefined ? undefined : records.requestFromRow(row);
    },
    async deleteByClient(clientId) {
      // Pending and pushed requests are both rows here. No index on client_id: requests live minutes
      // and purgeExpired keeps the table small, while an index would cost every PAR and authorize.
      return count('DELETE FROM authorization_requests WHERE client_id = $1', [clientId]);
    },
  };
}
