import type { AuthorizationRequestStore } from '../authorization-request-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changes, records, rows } from './rows.ts';

export function sqliteAuthorizationRequestStore({ sql, write }: SqliteConnection): AuthorizationRequestStore {
  return {
    async create(request) {
      await write(() =>
        sql(
          `INSERT INTO authorization_requests (id, client_id, redirect_uri, redirect_uri_sent, state, scope,
           resources, code_challenge, code_challenge_method, prompt, max_age, login_hint,
           browser_binding_digest, csrf_token, created_at, expires_at, dpop_jkt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...rows.requestRow(request)),
      );
    },
    async get(id, now) {
      const row = sql('SELECT * FROM authorization_requests WHERE id = ? AND expires_at > ?').get(id, now);
      return row === undefined ? undefined : records.requestFromRow(row);
    },
    async consume(id, now) {
      // One statement: only the connection whose DELETE removed the row gets it back.
      const row = await write(() =>
        sql('DELETE FROM authorization_requests WHERE id = ? AND expires_at > ? RETURNING *').get(id, now),
      );
      return row === undefined ? undefined : records.requestFromRow(row);
    },
    async deleteByClient(clientId) {
      // Pending and pushed requests are both rows here. No index on client_id: requests live minutes
      // and purgeExpired keeps the table small, while an index would cost every PAR and authorize.
      return changes(sql('DELETE FROM authorization_requests WHERE client_id = ?').run(clientId));
    },
  };
}
