/**
 * Hygiene of dynamic registrations (issue 4, "How it is shown"; DCR-SEC-7): 10,000 registrations
 * followed by a reaping pass leave only the used ones, with every grant and token family of a
 * reaped client revoked; and a client that keeps coming back does not grow storage. Both against
 * the memory store and a SQLite file, since the reaping query is per implementation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { createClientLifecycle } from '../src/clients/client-lifecycle.ts';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import { silentLogger } from '../src/logger.ts';
import { defaultReaperPolicy, reapRegistrations, startReaper } from '../src/registration/reaper.ts';
import {
  type AuditEvent,
  type ClientRecord,
  createMemoryStore,
  openSqliteStore,
  type Store,
} from '../src/store/index.ts';
import { CLIENT_USE_RESOLUTION_MS, recordClientUse } from '../src/tokens/client-use.ts';
import { client } from './support/store-records.ts';
import { APP_REDIRECT, createTestServer } from './support/test-server.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-hygiene-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

interface Subject {
  store: Store;
  /** Rows per table (SQLite: counted in the file; memory: through the store's own listings). */
  rows(): Promise<Record<string, number>>;
}

const implementations: [string, () => Subject][] = [
  [
    'memory',
    () => {
      const store = createMemoryStore();
      return {
        store,
        rows: async () => ({
          clients: (await store.clients.list()).length,
          audit_events: (await store.audit.list()).length,
        }),
      };
    },
  ],
  [
    'sqlite',
    () => {
      const path = join(directory, `store-${++files}.db`);
      const store = openSqliteStore({ path });
      return {
        store,
        rows: async () => {
          // A second connection reads what the store committed (WAL), independent of its API.
          const db = new DatabaseSync(path, { readOnly: true });
          try {
            const count = (table: string) =>
              Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n ?? Number.NaN);
            return {
              clients: count('clients'),
              audit_events: count('audit_events'),
              grants: count('grants'),
              token_families: count('token_families'),
            };
          } finally {
            db.close();
          }
        },
      };
    },
  ],
];

function registration(clientId: string, createdAt: number, kind: ClientRecord['kind'] = 'dcr'): ClientRecord {
  return client(clientId, {
    kind,
    createdAt,
    updatedAt: createdAt,
    ...(kind === 'dcr' ? { registration: { accessTokenDigest: `rat-${clientId}` } } : {}),
  });
}

/** A grant with one live token family, as a code redemption leaves them. */
async function giveTokens(store: Store, clientId: string, now: number) {
  const grant = await store.grants.upsert({
    id: `grant-${clientId}`,
    userId: 'user-1',
    clientId,
    redirectUri: 'http://127.0.0.1/callback',
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.test/mcp'],
    now,
  });
  await store.tokenFamilies.create({
    id: `family-${clientId}`,
    grantId: grant.id,
    clientId,
    userId: 'user-1',
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.test/mcp'],
    authTime: now,
    createdAt: now,
    expiresAt: now + 30 * DAY,
  });
}

function depsFor(store: Store, now: number) {
  const clock = () => now;
  const audit = (event: Omit<AuditEvent, 'at'>) => store.audit.append({ at: now, ...event });
  return { store, clock, lifecycle: createClientLifecycle({ store, clock, audit }) };
}

for (const [name, open] of implementations) {
  describe(`registration hygiene (${name})`, () => {
    it('10,000 registrations: a reaping pass leaves exactly the used ones', async () => {
      const { store, rows } = open();
      try {
        const TOTAL = 10_000;
        // Reaping 100 days after the registrations were made: past the never-used horizon (24 h),
        // and with "idle" clients last used 99 days ago, past the idle horizon (90 days).
        const now = T0 + 100 * DAY;
        const used: string[] = [];
        const idle: string[] = [];
        const neverUsed: string[] = [];
        for (let i = 0; i < TOTAL; i++) {
          const clientId = `dcr-${String(i).padStart(5, '0')}`;
          await store.clients.put(registration(clientId, T0 + i));
          if (i % 20 === 0) used.push(clientId);
          else if (i % 20 === 10) idle.push(clientId);
          else neverUsed.push(clientId);
        }
        for (const clientId of used) {
          await giveTokens(store, clientId, now - 2 * DAY);
          await store.clients.touch(clientId, now - DAY);
        }
        for (const clientId of idle) {
          await giveTokens(store, clientId, T0 + HOUR);
          await store.clients.touch(clientId, T0 + HOUR);
        }
        // Never reaped, however unused: pre-registered and CIMD clients.
        await store.clients.put(registration('static-app', T0, 'static'));
        await store.clients.put(registration('https://client.example.test/client.json', T0, 'cimd'));

        const reaped = await reapRegistrations(depsFor(store, now), { ...defaultReaperPolicy, batch: 500 });
        assert.equal(reaped, neverUsed.length + idle.length);

        const remaining = (await store.clients.list()).map((client) => client.clientId).sort();
        assert.deepEqual(
          remaining,
          [...used, 'static-app', 'https://client.example.test/client.json'].sort(),
        );
        for (const clientId of used) {
          const family = await store.tokenFamilies.get(`family-${clientId}`);
          assert.equal(family?.revokedAt, undefined, `${clientId}'s family untouched`);
          assert.equal((await store.grants.get(`grant-${clientId}`))?.revokedAt, undefined);
        }
        for (const clientId of idle) {
          const family = await store.tokenFamilies.get(`family-${clientId}`);
          assert.equal(family?.revokedAt, now, `${clientId}'s family revoked`);
          assert.equal(family?.revokedReason, 'client_reaped');
          assert.equal((await store.grants.get(`grant-${clientId}`))?.revokedAt, now);
        }

        const events = await store.audit.list({ type: 'client.removed' });
        assert.equal(events.length, reaped);
        const byReason = Map.groupBy(events, (event) => event.reason);
        assert.equal(byReason.get('never_used')?.length, neverUsed.length);
        assert.equal(byReason.get('idle')?.length, idle.length);
        const idleEvent = events.find((event) => event.clientId === idle[0]);
        assert.equal(idleEvent?.actor, 'system:reaper');
        assert.deepEqual(idleEvent?.detail, {
          grants_revoked: 1,
          families_revoked: 1,
          codes_deleted: 0,
          requests_deleted: 0,
          document_versions_deleted: 0,
        });

        // A second pass finds nothing left to do.
        assert.equal(await reapRegistrations(depsFor(store, now)), 0);
        assert.equal((await rows()).clients, used.length + 2);
      } finally {
        await store.close();
      }
    });

    it('keeps registrations inside the never-used and idle horizons', async () => {
      const { store } = open();
      try {
        const now = T0 + 200 * DAY;
        const policy = { neverUsedSeconds: DAY / 1000, idleSeconds: (90 * DAY) / 1000, batch: 2 };
        await store.clients.put(registration('young', now - DAY + 1));
        await store.clients.put(registration('exactly-24h', now - DAY));
        await store.clients.put(registration('old', now - DAY - 1));
        await store.clients.put(registration('recent-use', T0));
        await store.clients.touch('recent-use', now - 90 * DAY + 1);
        await store.clients.put(registration('stale-use', T0));
        await store.clients.touch('stale-use', now - 90 * DAY - 1);
        // Batches smaller than the work exercise the loop until a short batch ends it.
        assert.equal(await reapRegistrations(depsFor(store, now), policy), 2);
        const remaining = (await store.clients.list()).map((client) => client.clientId);
        assert.deepEqual(remaining.sort(), ['exactly-24h', 'recent-use', 'young']);
      } finally {
        await store.close();
      }
    });

    it('a client coming back again and again does not grow storage', async () => {
      const { store, rows } = open();
      try {
        await store.clients.put(registration('dcr-returning', T0));
        let touches = 0;
        const touch = store.clients.touch.bind(store.clients);
        store.clients.touch = async (clientId, now) => {
          touches++;
          return touch(clientId, now);
        };
        const before = await rows();
        const record = await store.clients.get('dcr-returning');
        assert.ok(record);
        // 1,000 token requests over 10 hours, one every 36 s, from a record cached at the start.
        for (let k = 0; k < 1_000; k++) {
          await recordClientUse({ store, logger: silentLogger }, record, T0 + k * 36_000);
        }
        assert.equal(touches, 10, 'one write per hour, not one per token');
        assert.deepEqual(await rows(), before, 'row counts are stable');
        assert.equal((await store.clients.get('dcr-returning'))?.lastUsedAt, T0 + 900 * 36_000);

        // A freshly loaded record (another instance, a restart) suppresses the write by itself.
        const fresh = await store.clients.get('dcr-returning');
        assert.ok(fresh);
        await recordClientUse({ store, logger: silentLogger }, fresh, T0 + 900 * 36_000 + HOUR - 1);
        assert.equal(touches, 10);
        // Only DCR clients are tracked.
        await recordClientUse({ store, logger: silentLogger }, registration('static-app', T0, 'static'), T0);
        assert.equal(touches, 10);
        assert.deepEqual(await rows(), before);
      } finally {
        await store.close();
      }
    });
  });
}

describe('recording client use through the token endpoint', () => {
  it('a DCR client obtaining tokens gets lastUsedAt, written at most once an hour', async () => {
    const t = await createTestServer();
    const { record } = prepareStaticClient(
      {
        client_id: 'dcr-app',
        redirect_uris: [APP_REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      },
      t.now(),
    );
    await t.store.clients.put({ ...record, kind: 'dcr', registration: { accessTokenDigest: 'rat' } });

    const issuedAt = t.now();
    let tokens = await t.tokensFor({ client_id: 'dcr-app' });
    assert.equal((await t.store.clients.get('dcr-app'))?.lastUsedAt, issuedAt);

    const refresh = async () => {
      const response = await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: 'dcr-app',
      });
      assert.equal(response.status, 200);
      tokens = (await response.json()) as typeof tokens;
    };
    t.advance(10 * 60 * 1000);
    await refresh();
    assert.equal((await t.store.clients.get('dcr-app'))?.lastUsedAt, issuedAt, 'within the hour: no write');
    t.advance(CLIENT_USE_RESOLUTION_MS);
    await refresh();
    assert.equal((await t.store.clients.get('dcr-app'))?.lastUsedAt, t.now());

    // Pre-registered clients are never reaped, so their use is not written.
    await t.tokensFor();
    assert.equal((await t.store.clients.get('public-app'))?.lastUsedAt, undefined);
  });
});

describe('startReaper', () => {
  it('reaps in the background, logs failures instead of throwing, and stops', async (context) => {
    context.mock.timers.enable({ apis: ['setInterval'] });
    const store = createMemoryStore();
    await store.clients.put(registration('dcr-old', T0));
    const now = T0 + 2 * DAY;
    const logged: { level: string; object: object }[] = [];
    const logger = {
      info: (object: object) => logged.push({ level: 'info', object }),
      error: (object: object) => logged.push({ level: 'error', object }),
    };
    const stop = startReaper({ ...depsFor(store, now), logger }, {}, 60_000);
    context.mock.timers.tick(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await store.clients.get('dcr-old'), undefined);
    assert.deepEqual(logged, [{ level: 'info', object: { reaped: 1 } }]);

    store.clients.reapRegistrations = async () => {
      throw new Error('database is locked');
    };
    context.mock.timers.tick(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(logged.length, 2);
    assert.equal(logged[1]?.level, 'error');

    stop();
    context.mock.timers.tick(10 * 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(logged.length, 2, 'no pass after stop');
  });
});
