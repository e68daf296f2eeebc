import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seed } from '../../bench/scenarios/inventory.ts';
import { openSqliteStore } from '../../packages/server/src/store/sqlite/sqlite-store.ts';

/**
 * The inventory scenario seeds its 100,000 clients with its own SQL, for speed (bench/scenarios/
 * inventory.ts). That SQL must keep up with the store's schema: a column added to `clients` broke
 * `npm run bench` once, unnoticed, because only the full run seeds. A few clients here catch it.
 */
describe('the bench inventory seed (issue #14)', () => {
  it('writes clients the SQLite store reads back', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gatehouse-inventory-seed-'));
    try {
      const path = join(directory, 'gatehouse.sqlite');
      await openSqliteStore({ path }).close();
      seed(path, 50);
      const store = openSqliteStore({ path });
      try {
        const clients = await store.clients.list({ limit: 100 });
        assert.equal(clients.length, 50);
        for (const client of clients) {
          assert.equal(client.metadata.client_id, client.clientId);
          assert.ok(['cimd', 'dcr', 'static'].includes(client.kind), client.kind);
        }
      } finally {
        await store.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
