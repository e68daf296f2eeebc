/**
 * The PostgreSQL store against a real, throwaway PostgreSQL server (./support/postgres-server.ts):
 * the shared store contract suite, the migrations, and races between separate pools (separate
 * connections, as separate instances would have) on one database.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Store } from '@gatehouse-oauth/server';
import pg from 'pg';
import { describeStoreContract, type StoreContractOptions } from '../../server/test/store-contract.ts';
import { describeAuditStoreContract } from '../../server/test/store-contract-audit.ts';
import { describeDocumentFetchStoreContract } from '../../server/test/store-contract-document-fetches.ts';
import { describeDocumentFreshnessStoreContract } from '../../server/test/store-contract-document-freshness.ts';
import { describeExchangeStoreContract } from '../../server/test/store-contract-exchanges.ts';
import { describeGovernanceStoreContract } from '../../server/test/store-contract-governance.ts';
import { describeInstallationStoreContract } from '../../server/test/store-contract-installations.ts';
import { describeInventoryStoreContract } from '../../server/test/store-contract-inventory.ts';
import { describeSharedRegistrationStoreContract } from '../../server/test/store-contract-shared-registrations.ts';
import { describeTokenBucketStoreContract } from '../../server/test/store-contract-token-buckets.ts';
import { assertRaceRound, seedRaceRound } from '../../server/test/support/store-race.ts';
import { createPostgresPool, migratePostgres, openPostgresStore, postgresMigrations } from '../src/index.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres: server, skip } = await postgresForTests();
after(() => server?.stop());

const T = 1_750_000_000_000;
const MINUTE = 60_000;

// Every test gets its own schema on the one server: as isolated as a fresh database, much faster.
let schemas = 0;
const freshSchema = () => `t${++schemas}`;
const open = (schema: string, poolSize?: number): Promise<Store> =>
  openPostgresStore({
    connectionString: server!.connectionString,
    schema,
    ...(poolSize === undefined ? {} : { poolSize }),
  });

/** A plain client on the test database, for looking at what the store wrote. */
async function inspect<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server!.connectionString });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

async function appliedVersions(schema: string): Promise<number[]> {
  return inspect(async (client) => {
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${pg.escapeIdentifier(schema)}.gatehouse_schema_migrations ORDER BY version`,
    );
    return rows.map((row) => row.version);
  });
}

describe('postgres store', { skip }, () => {
  const contractOptions: StoreContractOptions = {
    // Two pools on one schema, as two instances would have; the first creates it.
    openTwoHandles: async () => {
      const schema = freshSchema();
      const first = await open(schema);
      return [first, await open(schema)];
    },
  };
  describeStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeGovernanceStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeAuditStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeDocumentFetchStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeDocumentFreshnessStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeExchangeStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeInventoryStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeInstallationStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeTokenBucketStoreContract('postgres', () => open(freshSchema()), contractOptions);
  describeSharedRegistrationStoreContract('postgres', () => open(freshSchema()), contractOptions);

  describe('postgres migrations', () => {
    const all = postgresMigrations.map((_, index) => index + 1);

    it('a new schema is created and migrated to the newest version', async () => {
      const schema = freshSchema();
      await (await open(schema)).close();
      assert.deepEqual(await appliedVersions(schema), all);
      // Migration 14: the index no query used, which every refresh rotation paid for (issue #18).
      const index = await inspect((client) =>
        client.query('SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [
          schema,
          'refresh_tokens_family_id',
        ]),
      );
      assert.equal(index.rowCount, 0);
    });

    it('re-opening keeps the data and the version; migrating again changes nothing', async () => {
      const schema = freshSchema();
      const first = await open(schema);
      await first.users.create({ id: 'u1', username: 'alice', passwordHash: 'hash', createdAt: T });
      await first.close();

      const second = await open(schema);
      assert.equal((await second.users.findByUsername('alice'))?.id, 'u1');
      await second.close();

      const pool = createPostgresPool({ connectionString: server!.connectionString, schema });
      try {
        assert.equal(await migratePostgres(pool, { schema }), postgresMigrations.length);
      } finally {
        await pool.end();
      }
      assert.deepEqual(await appliedVersions(schema), all);
    });

    it('4 pools opening a new schema at once migrate it exactly once', async () => {
      const schema = freshSchema();
      const stores = await Promise.all([1, 2, 3, 4].map(() => open(schema, 2)));
      assert.deepEqual(await appliedVersions(schema), all);
      // Each saw the same, complete schema.
      await Promise.all(stores.map((store, index) => store.replay.remember(`k${index}`, T + MINUTE, T)));
      assert.equal(await stores[0]!.replay.has('k3', T), true);
      await Promise.all(stores.map((store) => store.close()));
    });

    it('refuses a schema newer than this code, and changes nothing', async () => {
      const schema = freshSchema();
      await (await open(schema)).close();
      const newer = postgresMigrations.length + 1;
      await inspect((client) =>
        client.query(
          `INSERT INTO ${pg.escapeIdentifier(schema)}.gatehouse_schema_migrations (version, applied_at) VALUES ($1, $2)`,
          [newer, T],
        ),
      );
      await assert.rejects(open(schema), /newer than this Gatehouse knows/);
      assert.deepEqual(await appliedVersions(schema), [...all, newer]);
    });

    it('migration 10: clients written without the inventory index are indexed by the next inventory query', async () => {
      const schema = freshSchema();
      const store = await open(schema);
      const table = `${pg.escapeIdentifier(schema)}.clients`;
      const metadata = (clientId: string, host: string) =>
        JSON.stringify({
          client_id: clientId,
          redirect_uris: [`https://${host}/cb`],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
        });
      // A writer that does not index (a Gatehouse older than the index, still running during an
      // upgrade): the trigger notes what it inserts and deletes.
      const insert = (clientId: string, host: string) =>
        inspect((client) =>
          client.query(
            `INSERT INTO ${table} (client_id, kind, metadata, created_at, updated_at) VALUES ($1, 'dcr', $2, $3, $3)`,
            [clientId, metadata(clientId, host), T],
          ),
        );
      const inDomain = async (domain: string) =>
        (await store.inventory.list({ sort: 'client_id', limit: 10, domain })).map(
          (row) => row.record.clientId,
        );
      try {
        await insert('old-registration', 'old.example');
        assert.deepEqual(await inDomain('old.example'), ['old-registration']);
        await insert('foreign-registration', 'foreign.example');
        await inspect((client) => client.query(`DELETE FROM ${table} WHERE client_id = 'old-registration'`));
        assert.deepEqual(await inDomain('foreign.example'), ['foreign-registration']);
        assert.deepEqual(await inDomain('old.example'), []);
      } finally {
        await store.close();
      }
    });

    it('rejects a schema name it would have to quote', () => {
      for (const schema of ['Public', 'a-b', 'x;DROP TABLE users', '']) {
        assert.throws(
          () => createPostgresPool({ connectionString: server!.connectionString, schema }),
          /invalid PostgreSQL schema name/,
        );
      }
    });

    it('parses BIGINT epoch milliseconds as numbers, only on its own pools', async () => {
      const schema = freshSchema();
      const store = await open(schema);
      await store.sessions.create({ digest: 's1', userId: 'u1', authTime: T, expiresAt: 2 ** 52 });
      assert.equal((await store.sessions.get('s1', T))?.expiresAt, 2 ** 52);
      await store.close();
      // pg's global parser is untouched: another user of pg in the process still gets strings.
      const raw = await inspect(async (client) => (await client.query('SELECT 1::bigint AS n')).rows[0]?.n);
      assert.equal(raw, '1');
    });
  });

  describe('postgres across instances (separate pools, racing on one database)', () => {
    const INSTANCES = 4;
    const ROUNDS = 40;

    it(`of ${INSTANCES} racing pools, exactly one wins each one-time operation, and counts hold`, async () => {
      const schema = freshSchema();
      const instances = await Promise.all(Array.from({ length: INSTANCES }, () => open(schema, 8)));
      const [setup] = instances as [Store, ...Store[]];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          await seedRaceRound(setup, round, T);
          await setup.initialAccessTokens.create({
            id: `iat-${round}`,
            digest: `iat-digest-${round}`,
            createdAt: T,
            maxUses: 3,
            uses: 0,
          });
        }
        // Open every pool's connections before the race, so the calls hit the server together.
        await Promise.all(instances.map((store) => Promise.all([1, 2, 3, 4].map(() => store.users.count()))));

        const rounds = await Promise.all(
          Array.from({ length: ROUNDS }, (_, round) =>
            Promise.all(
              instances.map(async (store, instance) => {
                const [redeem, rotate, consumed, remembered, iatUses, grant, secret, document] =
                  await Promise.all([
                    store.authorizationCodes.redeem(`code-${round}`, `family-i${instance}-r${round}`, T),
                    store.refreshTokens.rotate(
                      `token-${round}`,
                      {
                        digest: `token-${round}-next-${instance}`,
                        familyId: 'family-0',
                        issuedAt: T,
                        expiresAt: T + MINUTE,
                      },
                      T,
                      { graceMs: 0, reuseCount: 0 },
                    ),
                    store.authorizationRequests.consume(`request-${round}`, T),
                    store.replay.remember(`jti-${round}`, T + MINUTE, T),
                    // Two uses per instance: 8 attempts at a token good for 3.
                    Promise.all([1, 2].map(() => store.initialAccessTokens.use(`iat-digest-${round}`, T))),
                    store.grants.upsert({
                      id: `grant-i${instance}-r${round}`,
                      userId: 'u1',
                      clientId: 'c1',
                      redirectUri: `http://127.0.0.1/${round}`,
                      scope: [`scope-i${instance}`],
                      resources: [],
                      now: T,
                    }),
                    store.serverSecrets.getOrCreate(`secret-${round}`, () => `value-i${instance}`),
                    store.clientDocuments.record(
                      {
                        clientId: `https://app.example/${round}`,
                        digest: 'd1',
                        body: '{}',
                        fetchedAt: T,
                        headers: {},
                      },
                      T,
                    ),
                  ]);
                return {
                  redeemed: redeem.outcome === 'redeemed',
                  rotated: rotate.outcome === 'rotated',
                  consumed: consumed !== undefined,
                  remembered,
                  iatUses: iatUses.filter((use) => use !== undefined).length,
                  grantId: grant.id,
                  secret,
                  documentChanged: document.changed,
                };
              }),
            ),
          ),
        );

        for (const [round, of] of rounds.entries()) {
          assert.equal(
            of.filter((result) => result.documentChanged).length,
            1,
            `document ${round} recorded as new once`,
          );
          assert.equal(
            of.reduce((sum, result) => sum + result.iatUses, 0),
            3,
            `initial access token ${round} used exactly 3 times`,
          );
          await assertRaceRound(setup, round, of, { tag: 'i', now: T });
          const [listed] = (await setup.initialAccessTokens.list()).filter(
            (token) => token.id === `iat-${round}`,
          );
          assert.equal(listed?.uses, 3, `initial access token ${round} counted 3 uses`);
          assert.equal((await setup.clientDocuments.history(`https://app.example/${round}`)).length, 1);
        }
      } finally {
        await Promise.all(instances.map((store) => store.close()));
      }
    });

    it('a grant revoke on one instance racing a client-wide revoke on another leaves no live family', async () => {
      const schema = freshSchema();
      const [a, b] = (await Promise.all([open(schema), open(schema)])) as [Store, Store];
      try {
        await a.grants.upsert({
          id: 'g1',
          userId: 'u1',
          clientId: 'c1',
          redirectUri: 'http://127.0.0.1/cb',
          scope: ['read'],
          resources: [],
          now: T,
        });
        for (let index = 0; index < 20; index++) {
          await b.tokenFamilies.create({
            id: `f${index}`,
            grantId: 'g1',
            clientId: 'c1',
            userId: 'u1',
            scope: ['read'],
            resources: [],
            authTime: T,
            createdAt: T,
            expiresAt: T + MINUTE,
          });
        }
        // Both lock the same family rows, possibly in another order: a deadlock, if PostgreSQL picks
        // one, is retried by the store, so both calls succeed and every family ends up revoked once.
        const [, byClient] = await Promise.all([
          a.grants.revoke('g1', 'user_revoked', T + 1),
          b.tokenFamilies.revokeByClient('c1', 'client_blocked', T + 2),
        ]);
        const families = await a.tokenFamilies.listByClient('c1');
        assert.equal(families.length, 20);
        for (const family of families)
          assert.notEqual(family.revokedAt, undefined, `family ${family.id} revoked`);
        const byGrant = families.filter((family) => family.revokedReason === 'user_revoked').length;
        assert.equal(byGrant + byClient, 20, 'each family revoked by exactly one of them');
        assert.equal((await b.grants.get('g1'))?.revokedAt, T + 1);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
