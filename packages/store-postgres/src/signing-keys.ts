import type { SigningKeyStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresSigningKeyStore({ query, count }: PostgresConnection): SigningKeyStore {
  return {
    async list() {
      return (await query('SELECT * FROM signing_keys ORDER BY created_at DESC, kid')).map(
        records.signingKeyFromRow,
      );
    },
    async add(key) {
      const added = await count(
        `INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kid) DO NOTHING`,
        rows.signingKeyRow(key),
      );
      return added > 0;
    },
    async retire(kid, at) {
      await query('UPDATE signing_keys SET retired_at = $1 WHERE kid = $2 AND retired_at IS NULL', [at, kid]);
    },
    async delete(kid) {
      return (await count('DELETE FROM signing_keys WHERE kid = $1', [kid])) > 0;
    },
  };
}
