import type { SigningKeyStore } from '../signing-key-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, records, rows } from './rows.ts';

export function sqliteSigningKeyStore({ sql }: SqliteConnection): SigningKeyStore {
  return {
    async list() {
      return sql('SELECT * FROM signing_keys ORDER BY created_at DESC, kid')
        .all()
        .map(records.signingKeyFromRow);
    },
    async add(key) {
      const result = sql(
        `INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING`,
      ).run(...rows.signingKeyRow(key));
      return changed(result);
    },
    async retire(kid, at) {
      sql('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(at, kid);
    },
    async delete(kid) {
      return changed(sql('DELETE FROM signing_keys WHERE kid = ?').run(kid));
    },
  };
}
