import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { migrateSqlite, sqliteMigrations, userVersion } from '../src/store/sqlite/migrations.ts';
import { openSqliteDatabase, openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { RaceInput, RoundResult } from './sqlite-store-race-worker.ts';
import { describeStoreContract, type StoreContractOptions } from './store-contract.ts';
import { describeAuditStoreContract } from './store-contract-audit.ts';
import { describeDocumentFetchStoreContract } from './store-contract-document-fetches.ts';
import { describeDocumentFreshnessStoreContract } from './store-contract-document-freshness.ts';
import { describeExchangeStoreContract } from './store-contract-exchanges.ts';
import { describeGovernanceStoreContract } from './store-contract-governance.ts';
import { describeInstallationStoreContract } from './store-contract-installations.ts';
import { describeInventoryStoreContract } from './store-contract-inventory.ts';
import { describeSharedRegistrationStoreContract } from './store-contract-shared-registrations.ts';
import { describeTokenBucketStoreContract } from './store-contract-token-buckets.ts';
import { assertRaceRound, seedRaceRound } from './support/store-race.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-store-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(directory, `store-${++files}.db`);

const T = 1_750_000_000_000;

const contractOptions: StoreContractOptions = {
  // Two connections to one file, as two processes would have.
  openTwoHandles: async () => {
    const path = freshPath();
    return [openSqliteStore({ path }), openSqliteStore({ path })];
  },
};
describeStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeGovernanceStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeAuditStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeDocumentFetchStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeDocumentFreshnessStoreContract(
  'sqlite',
  () => openSqliteStore({ path: freshPath() }),
  contractOptions,
);
describeExchangeStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeInventoryStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeInstallationStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeTokenBucketStoreContract('sqlite', () => openSqliteStore({ path: freshPath() }), contractOptions);
describeSharedRegistrationStoreContract(
  'sqlite',
  () => openSqliteStore({ path: freshPath() }),
  contractOptions,
);

describe('sqlite migrations', () => {
  it('a new database is migrated to the newest version', async () => {
    const path = freshPath();
    await openSqliteStore({ path }).close();
    const db = new DatabaseSync(path);
    assert.equal(userVersion(db), sqliteMigrations.length);
    // Migration 17: the index no query used, which every refresh rotation paid for (issue #18).
    const index = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'refresh_tokens_family_id'").get();
    assert.equal(index, undefined);
    db.close();
  });

  it('re-opening keeps the data and the version; migrating again changes nothing', async () => {
    const path = freshPath();
    const first = openSqliteStore({ path });
    await first.users.create({ id: 'u1', username: 'alice', passwordHash: 'hash', createdAt: T });
    await first.close();

    const second = openSqliteStore({ path });
    assert.equal((await second.users.findByUsername('alice'))?.id, 'u1');
    await second.close();

    const db = openSqliteDatabase(path);
    assert.equal(migrateSqlite(db), sqliteMigrations.length);
    assert.equal(userVersion(db), sqliteMigrations.length);
    db.close();
  });

  it('migration 3 adds client_key_thumbprint; families written before it read back unbound', async () => {
    const path = freshPath();
    const db = new DatabaseSync(path);
    // A version 2 database, as the previous release left it, holding one family.
    for (const [index, migration] of sqliteMigrations.slice(0, 2).entries()) {
      db.exec(migration);
      db.exec(`PRAGMA user_version = ${index + 1}`);
    }
    db.prepare(
      `INSERT INTO token_families (id, grant_id, client_id, user_id, scope, resources, auth_time, created_at, expires_at)
       VALUES ('f-old', 'g1', 'c1', 'u1', '["read"]', '[]', ?, ?, ?)`,
    ).run(T, T, T + 1000);
    db.close();

    const store = openSqliteStore({ path });
    const old = await store.tokenFamilies.get('f-old');
    assert.equal(old?.id, 'f-old');
    assert.equal(old !== undefined && 'clientKeyThumbprint' in old, false);
    await store.close();
    const migrated = new DatabaseSync(path);
    assert.equal(userVersion(migrated), sqliteMigrations.length);
    migrated.close();
  });

  it('migration 13: clients written before the inventory index (or without it) are indexed by the next inventory query', async () => {
    const path = freshPath();
    const db = new DatabaseSync(path);
    // A version 12 database, as the previous release left it, holding one registration.
    for (const [index, migration] of sqliteMigrations.slice(0, 12).entries()) {
      db.exec(migration);
      db.exec(`PRAGMA user_version = ${index + 1}`);
    }
    const metadata = (clientId: string, host: string) =>
      JSON.stringify({
        client_id: clientId,
        redirect_uris: [`https://${host}/cb`],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      });
    const insert = (target: DatabaseSync, clientId: string, host: string) =>
      target
        .prepare(
          `INSERT INTO clients (client_id, kind, metadata, created_at, updated_at) VALUES (?, 'dcr', ?, ?, ?)`,
        )
        .run(clientId, metadata(clientId, host), T, T);
    insert(db, 'old-registration', 'old.example');
    db.close();

    const store = openSqliteStore({ path });
    const inDomain = async (domain: string) =>
      (await store.inventory.list({ sort: 'client_id', limit: 10, domain })).map(
        (row) => row.record.clientId,
      );
    assert.deepEqual(await inDomain('old.example'), ['old-registration']);
    // A writer that does not index (a Gatehouse older than migration 13, still running during an
    // upgrade): its inserts are indexed, and the terms of its deletions dropped, at the next query.
    const foreign = new DatabaseSync(path);
    insert(foreign, 'foreign-registration', 'foreign.example');
    foreign.prepare(`DELETE FROM clients WHERE client_id = 'old-registration'`).run();
    foreign.close();
    // A read sees another connection's commits from the event loop's next run on (read-snapshot.ts).
    await new Promise(setImmediate);
    assert.deepEqual(await inDomain('foreign.example'), ['foreign-registration']);
    assert.deepEqual(await inDomain('old.example'), []);
    await store.close();
  });

  it('refuses a database whose schema is newer than this code', () => {
    const path = freshPath();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${sqliteMigrations.length + 1}`);
    db.close();
    assert.throws(() => openSqliteStore({ path }), /newer than this Gatehouse knows/);
  });

  it('connections use WAL, a busy timeout, foreign keys and synchronous=NORMAL', () => {
    const db = openSqliteDatabase(freshPath());
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
    assert.equal(pragma('journal_mode'), 'wal');
    assert.equal(pragma('busy_timeout'), 5000);
    assert.equal(pragma('foreign_keys'), 1);
    assert.equal(pragma('synchronous'), 1);
    db.close();
  });
});

describe('sqlite across processes (worker threads, one connection each)', () => {
  const WORKERS = 4;
  const ROUNDS = 100;

  function start(input: Omit<RaceInput, 'worker' | 'barrier'>) {
    const barrier = new SharedArrayBuffer(4);
    const workers = Array.from(
      { length: WORKERS },
      (_, worker) =>
        new Worker(new URL('./sqlite-store-race-worker.ts', import.meta.url), {
          workerData: { ...input, worker, barrier } satisfies RaceInput,
        }),
    );
    const messages = workers.map((worker) => once(worker, 'message'));
    const release = () => {
      Atomics.store(new Int32Array(barrier), 0, 1);
      Atomics.notify(new Int32Array(barrier), 0);
    };
    return { workers, messages, release };
  }

  it('concurrent first opens of a new file migrate it once', async () => {
    const path = freshPath();
    const { messages, release } = start({ task: 'open', path, rounds: 0, now: T });
    release();
    await Promise.all(messages);
    const db = new DatabaseSync(path);
    assert.equal(userVersion(db), sqliteMigrations.length);
    db.close();
  });

  it(`of ${WORKERS} racing connections, exactly one wins each one-time operation`, async () => {
    const path = freshPath();
    const store = openSqliteStore({ path });
    for (let round = 0; round < ROUNDS; round++) await seedRaceRound(store, round, T);

    const { workers, messages, release } = start({ task: 'race', path, rounds: ROUNDS, now: T });
    await Promise.all(messages); // every worker has its own connection open and waits at the barrier
    const reports = workers.map((worker) => once(worker, 'message'));
    release();
    const results = (await Promise.all(reports)).map(
      ([report]) => (report as { results: RoundResult[] }).results,
    );

    for (let round = 0; round < ROUNDS; round++) {
      const of = results.map((byWorker) => byWorker[round]!);
      assert.equal(of.filter((result) => result.userCreated).length, 1, `user-${round} created once`);
      await assertRaceRound(store, round, of, { tag: 'w', now: T });
    }
    assert.equal(await store.users.count(), ROUNDS);
    await store.close();
  });
});
