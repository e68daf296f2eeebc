/**
 * The store contract suite, continued: consent grants (one per installation), and what removing their client does to them. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import { CONCURRENCY, family, grantUpsert, MINUTE, range, sorted, T } from './support/store-records.ts';

export function describeGrantStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (grants): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('grants', () => {
      it('creates a grant for a new installation', async () => {
        const grant = await store.grants.upsert(grantUpsert('g1'));
        const expected = {
          id: 'g1',
          userId: 'u1',
          clientId: 'c1',
          redirectUri: 'http://127.0.0.1/callback',
          scope: ['read'],
          resources: ['https://api.example/'],
          createdAt: T,
          updatedAt: T,
        };
        assert.deepEqual(grant, expected);
        assert.deepEqual(await store.grants.get('g1'), expected);
        assert.deepEqual(await store.grants.find('u1', 'c1', 'http://127.0.0.1/callback'), expected);
      });

      it('a live grant keeps its id and widens to the union (step-up never narrows)', async () => {
        await store.grants.upsert(grantUpsert('g1', { scope: ['read', 'write'] }));
        const steps: {
          scope: string[];
          resources: string[];
          expectScope: string[];
          expectResources: string[];
        }[] = [
          {
            scope: ['admin'],
            resources: ['https://other.example/'],
            expectScope: ['admin', 'read', 'write'],
            expectResources: ['https://api.example/', 'https://other.example/'],
          },
          {
            scope: ['read'],
            resources: [],
            expectScope: ['admin', 'read', 'write'],
            expectResources: ['https://api.example/', 'https://other.example/'],
          },
        ];
        let now = T;
        for (const { scope, resources, expectScope, expectResources } of steps) {
          now += MINUTE;
          const grant = await store.grants.upsert(grantUpsert('g-new', { scope, resources, now }));
          assert.equal(grant.id, 'g1');
          assert.deepEqual(sorted(grant.scope), expectScope);
          assert.deepEqual(sorted(grant.resources), expectResources);
          assert.equal(grant.createdAt, T);
          assert.equal(grant.updatedAt, now);
          assert.deepEqual(await store.grants.get('g1'), grant);
        }
        assert.equal(await store.grants.get('g-new'), undefined);
      });

      it('a revoked grant is replaced in place: same id, revokedAt cleared, exactly the new scope', async () => {
        await store.grants.upsert(
          grantUpsert('g1', { scope: ['read', 'write'], resources: ['https://a.example/'] }),
        );
        await store.grants.revoke('g1', 'user_revoked', T + 1);
        const grant = await store.grants.upsert(
          grantUpsert('g2', { scope: ['read'], resources: ['https://b.example/'], now: T + 2 }),
        );
        assert.equal(grant.id, 'g1');
        assert.equal('revokedAt' in grant, false);
        assert.deepEqual(grant.scope, ['read']);
        assert.deepEqual(grant.resources, ['https://b.example/']);
        assert.equal(grant.updatedAt, T + 2);
        assert.deepEqual(await store.grants.get('g1'), grant);
      });

      it('installations are told apart by redirect_uri (and user and client)', async () => {
        const keys = [
          { userId: 'u1', clientId: 'c1', redirectUri: 'http://127.0.0.1/a' },
          { userId: 'u1', clientId: 'c1', redirectUri: 'http://127.0.0.1/b' },
          { userId: 'u1', clientId: 'c2', redirectUri: 'http://127.0.0.1/a' },
          { userId: 'u2', clientId: 'c1', redirectUri: 'http://127.0.0.1/a' },
        ];
        for (const [index, key] of keys.entries()) await store.grants.upsert(grantUpsert(`g${index}`, key));
        for (const [index, key] of keys.entries()) {
          assert.equal((await store.grants.find(key.userId, key.clientId, key.redirectUri))?.id, `g${index}`);
        }
        assert.deepEqual(sorted((await store.grants.listByUser('u1')).map((grant) => grant.id)), [
          'g0',
          'g1',
          'g2',
        ]);
        assert.deepEqual(sorted((await store.grants.listByClient('c1')).map((grant) => grant.id)), [
          'g0',
          'g1',
          'g3',
        ]);
        assert.equal(await store.grants.find('u1', 'c1', 'http://127.0.0.1/c'), undefined);
        assert.deepEqual(await store.grants.listByUser('nobody'), []);
      });

      it(`${CONCURRENCY} concurrent upserts of one installation make one grant with every scope`, async () => {
        const results = await Promise.all(
          range(CONCURRENCY).map((index) =>
            store.grants.upsert(grantUpsert(`g${index}`, { scope: [`s${index}`] })),
          ),
        );
        const ids = new Set(results.map((grant) => grant.id));
        assert.equal(ids.size, 1);
        const grants = await store.grants.listByUser('u1');
        assert.equal(grants.length, 1);
        assert.deepEqual(sorted(grants[0]!.scope), sorted(range(CONCURRENCY).map((index) => `s${index}`)));
      });

      it('revoke keeps the first revokedAt and revokes every family of the grant, only of that grant', async () => {
        await store.grants.upsert(grantUpsert('g1'));
        await store.grants.upsert(grantUpsert('g2', { redirectUri: 'http://127.0.0.1/other' }));
        await store.tokenFamilies.create(family('f1', { grantId: 'g1' }));
        await store.tokenFamilies.create(family('f2', { grantId: 'g1' }));
        await store.tokenFamilies.create(family('f3', { grantId: 'g2' }));
        await store.tokenFamilies.revoke('f2', 'earlier', T + 1);

        await store.grants.revoke('g1', 'user_revoked', T + 2);
        await store.grants.revoke('g1', 'again', T + 3);

        assert.equal((await store.grants.get('g1'))?.revokedAt, T + 2);
        assert.equal((await store.grants.get('g2'))?.revokedAt, undefined);
        const revoked = async (id: string) => {
          const found = await store.tokenFamilies.get(id);
          return found?.revokedAt === undefined ? undefined : [found.revokedAt, found.revokedReason];
        };
        assert.deepEqual(await revoked('f1'), [T + 2, 'user_revoked']);
        assert.deepEqual(await revoked('f2'), [T + 1, 'earlier']);
        assert.equal(await revoked('f3'), undefined);
      });
    });

    describe('grants of a removed client', () => {
      /** Seeds two live grants of c1, one of c1 revoked earlier and one of c2, with a family each. */
      const seed = async () => {
        await store.grants.upsert(grantUpsert('g1'));
        await store.grants.upsert(grantUpsert('g2', { redirectUri: 'http://127.0.0.1/other' }));
        await store.grants.upsert(grantUpsert('g3', { userId: 'u2' }));
        await store.grants.upsert(grantUpsert('g4', { clientId: 'c2' }));
        for (const grantId of ['g1', 'g2', 'g3', 'g4']) {
          const clientId = grantId === 'g4' ? 'c2' : 'c1';
          await store.tokenFamilies.create(family(`f-${grantId}`, { grantId, clientId }));
        }
        await store.tokenFamilies.create(family('f-g1-earlier', { grantId: 'g1' }));
        await store.tokenFamilies.revoke('f-g1-earlier', 'refresh_token_reused', T + 1);
        await store.grants.revoke('g3', 'user_revoked', T + 1);
      };
      const revocation = async (familyId: string) => {
        const found = await store.tokenFamilies.get(familyId);
        return found?.revokedAt === undefined ? undefined : [found.revokedAt, found.revokedReason];
      };

      it('revokeByClient revokes every live grant of the client and counts them, once', async () => {
        await seed();
        assert.equal(await store.grants.revokeByClient('c1', 'client_removed', T + 2), 2);
        assert.equal(await store.grants.revokeByClient('c1', 'client_removed', T + 3), 0, 'idempotent');
        assert.equal(await store.grants.revokeByClient('c9', 'client_removed', T + 3), 0, 'no grants');

        const expected: [string, number | undefined][] = [
          ['g1', T + 2],
          ['g2', T + 2],
          ['g3', T + 1], // revoked before: its first revokedAt stays
          ['g4', undefined], // another client
        ];
        let checked = 0;
        for (const [id, revokedAt] of expected) {
          assert.equal((await store.grants.get(id))?.revokedAt, revokedAt, id);
          checked++;
        }
        assert.equal(checked, expected.length);
      });

      it('revokeByClient revokes the families of the grants it revoked, and no other', async () => {
        await seed();
        await store.grants.revokeByClient('c1', 'client_removed', T + 2);

        const expected: [string, unknown][] = [
          ['f-g1', [T + 2, 'client_removed']],
          ['f-g2', [T + 2, 'client_removed']],
          ['f-g1-earlier', [T + 1, 'refresh_token_reused']], // first revocation wins
          ['f-g3', [T + 1, 'user_revoked']], // its grant was revoked before
          ['f-g4', undefined], // another client
        ];
        let checked = 0;
        for (const [id, state] of expected) {
          assert.deepEqual(await revocation(id), state, id);
          checked++;
        }
        assert.equal(checked, expected.length);
      });

      it('a grant revoked with its client is replaced, not widened, by a later consent', async () => {
        await store.grants.upsert(grantUpsert('g1', { scope: ['read', 'write'] }));
        await store.grants.revokeByClient('c1', 'client_removed', T + 1);
        const again = await store.grants.upsert(grantUpsert('g-new', { scope: ['read'], now: T + 2 }));
        assert.equal(again.id, 'g1');
        assert.deepEqual(again.scope, ['read']);
        assert.equal(again.revokedAt, undefined);
      });
    });
  });
}
