import type { ServerSecretStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns } from './rows.ts';

export function postgresServerSecretStore({ first }: PostgresConnection): ServerSecretStore {
  return {
    async getOrCreate(name, create) {
      const read = async () => {
        const row = await first('SELECT value FROM server_secrets WHERE name = $1', [name]);
        return row === undefined ? undefined : postgresColumns.text(row, 'value');
      };
      const existing = await read();
      if (existing !== undefined) return existing;
      // Whoever inserts first wins. A loser's INSERT waits for the winner's commit and does nothing;
      // its next statement (a new snapshot under READ COMMITTED) then reads the winner's value. One
      // statement with a CTE would not do: its snapshot predates the winner's commit.
      const inserted = await first(
        'INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value',
        [name, create()],
      );
      if (inserted !== undefined) return postgresColumns.text(inserted, 'value');
      const stored = await read();
      if (stored === undefined) throw new Error(`server secret ${name} vanished while being created`);
      return stored;
    },
  };
}
