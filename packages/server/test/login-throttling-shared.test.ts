/**
 * Issue #18 finding 3, across instances (decision 0030): two Gatehouse instances on one SQLite
 * file, as two processes on one machine would be, share the login throttle: attempts spread over
 * both are throttled at the configured limit in total, not twice it. The same on PostgreSQL:
 * packages/store-postgres/test/login-throttle-multi-instance.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import { createAuthorizationServer, createLogger } from '../src/index.ts';
import { openSqliteDatabase, openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { hashPassword } from '../src/users/password.ts';
import { assertThrottleSharedAcrossInstances, tryPassword } from './support/shared-login-throttle.ts';
import { APP_REDIRECT, ISSUER, PASSWORD, RESOURCE } from './support/test-server.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-login-throttle-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

/** Two instances, each with its own connection to one fresh SQLite file, on one test clock. */
async function twoInstances() {
  const path = join(directory, `shared-${++files}.db`);
  let now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const stores = [openSqliteStore({ path }), openSqliteStore({ path })] as const;
  await stores[0].users.create({
    id: 'user-alice',
    username: 'alice',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: now,
  });
  await stores[0].clients.put(
    prepareStaticClient(
      {
        client_id: 'public-app',
        redirect_uris: [APP_REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      },
      now,
    ).record,
  );
  const servers = stores.map((store) =>
    createAuthorizationServer({
      issuer: ISSUER,
      store,
      clock: () => now,
      logger: createLogger({ level: 'silent' }),
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'], defaultScopes: ['mcp:tools'] }],
    }),
  );
  return {
    cluster: {
      issuer: ISSUER,
      servers,
      store: stores[0],
      clientId: 'public-app',
      redirectUri: APP_REDIRECT,
      resource: RESOURCE,
      advance(ms: number) {
        now += ms;
      },
    },
    path,
    now: () => now,
    async close() {
      for (const server of servers) await server.stop();
      for (const store of stores) await store.close();
    },
  };
}

describe('login throttling across two instances on one SQLite file (decision 0030)', () => {
  it('attempts spread over both are throttled at the configured limit in total', async () => {
    const instances = await twoInstances();
    try {
      await assertThrottleSharedAcrossInstances(instances.cluster, { username: 'alice', password: PASSWORD });
    } finally {
      await instances.close();
    }
  });

  it('keeps no row for a bucket that is full again: the purge drops it', async () => {
    const instances = await twoInstances();
    try {
      for (let i = 0; i < 3; i++) {
        const login = { username: `guess-${i}`, password: 'wrong', remoteAddress: '198.51.100.1' };
        await tryPassword(instances.cluster, i, login);
      }
      const rows = () => {
        const db = openSqliteDatabase(instances.path);
        try {
          return Number(db.prepare('SELECT count(*) AS n FROM token_buckets').get()?.n);
        } finally {
          db.close();
        }
      };
      assert.equal(rows(), 4, 'three names and the one source');
      // One attempt of 5 per 15 minutes is back after 3 minutes; the source's 3 of 20 after 2:15.
      await instances.cluster.store.purgeExpired(instances.now() + 3 * 60_000 - 1);
      assert.equal(rows(), 3, 'the source is full again; the names are not yet');
      await instances.cluster.store.purgeExpired(instances.now() + 3 * 60_000);
      assert.equal(rows(), 0);
    } finally {
      await instances.close();
    }
  });
});
