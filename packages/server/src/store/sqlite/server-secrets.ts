import type { ServerSecretStore } from '../server-secret-store.ts';
import type { SqliteConnection } from './connection.ts';
import { sqliteColumns } from './rows.ts';

export function sqliteServerSecretStore({ sql }: SqliteConnection): ServerSecretStore {
  return {
    async getOrCreate(name, create) {
      const read = () => sql('SELECT value FROM server_secrets WHERE name = ?').get(name);
      const existing = read();
      if (existing !== undefined) return sqliteColumns.text(existing, 'value');
      // Whoever inserts first wins; everybody, the losers included, returns what is stored.
      sql('INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(
        name,
        create(),
      );
      return sqliteColumns.text(read()!, 'value');
    },
  };
}
