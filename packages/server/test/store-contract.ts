/**
 * The store contract suite: every Store implementation (memory, SQLite, PostgreSQL) runs exactly
 * this, so the concurrency contracts written on the interfaces in src/store/*.ts are tested once and
 * mean the same everywhere. Each test gets a fresh, empty store from `open` and closes it after.
 *
 * Times are explicit epoch milliseconds around T; nothing here reads the clock. The "concurrent"
 * cases fire many calls at one store with Promise.all; real cross-process races are tested per
 * implementation (see sqlite-store.test.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CLIENT_CHANGE_RETENTION_MS } from '../src/store/client-change-feed.ts';
import type {
  AuditEvent,
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ClientRecord,
  GrantUpsert,
  InitialAccessTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  Store,
  UserRecord,
} from '../src/store/store.ts';
import { family, range, refreshToken } from './support/store-records.ts';

const T = 1_750_000_000_000;
const MINUTE = 60_000;
const CONCURRENCY = 50;

export interface StoreContractOptions {
  /**
   * Two stores on one database (two SQLite connections to one file, two PostgreSQL pools on one
   * schema), for the contracts that hold "across instances". Omitted where there is no such thing.
   */
  openTwoHandles?: () => Promise<[Store, Store]>;
}

export function describeStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('clients', () => {
      it('returns nothing for an unknown client', async () => {
        assert.equal(await store.clients.get('https://nobody.example/client'), undefined);
      });

      it('put inserts, then wholly replaces the record (no merge of absent fields)', async () => {
        const first = client('c1', {
          secretDigest: 'digest-1',
          secretExpiresAt: T + MINUTE,
          metadata: { ...client('c1').metadata, client_name: 'First' },
        });
        await store.clients.put(first);
        assert.deepEqual(await store.clients.get('c1'), first);

        const second = client('c1', { kind: 'dcr', updatedAt: T + 1 });
        await store.clients.put(second);
        assert.deepEqual(await store.clients.get('c1'), second);
      });

      it('delete reports whether a record existed', async () => {
        await store.clients.put(client('c1'));
        assert.equal(await store.clients.delete('c1'), true);
        assert.equal(await store.clients.delete('c1'), false);
        assert.equal(await store.clients.get('c1'), undefined);
      });

      it('lists ordered by clientId, paged by after and limit', async () => {
        for (const id of ['c', 'a', 'd', 'b']) await store.clients.put(client(id));
        const cases: { options?: { limit?: number; after?: string }; ids: string[] }[] = [
          { ids: ['a', 'b', 'c', 'd'] },
          { options: { limit: 2 }, ids: ['a', 'b'] },
          { options: { after: 'b' }, ids: ['c', 'd'] },
          { options: { after: 'a', limit: 2 }, ids: ['b', 'c'] },
          { options: { after: 'd' }, ids: [] },
        ];
        for (const { options, ids } of cases) {
          const listed = await store.clients.list(options);
          assert.deepEqual(
            listed.map((record) => record.clientId),
            ids,
            `list(${JSON.stringify(options)})`,
          );
        }
      });

      it('keeps its own copy: mutating what was put or got changes nothing stored', async () => {
        const record = client('c1');
        await store.clients.put(record);
        record.metadata.redirect_uris.push('https://evil.example/cb');
        const got = await store.clients.get('c1');
        got!.metadata.redirect_uris.push('https://evil.example/cb');
        assert.deepEqual(await store.clients.get('c1'), client('c1'));
      });
    });

    describe('users', () => {
      it('creates a user, found by id and by exact username', async () => {
        const alice = user('u1', 'alice');
        assert.equal(await store.users.create(alice), true);
        assert.deepEqual(await store.users.get('u1'), alice);
        assert.deepEqual(await store.users.findByUsername('alice'), alice);
        assert.equal(await store.users.findByUsername('Alice'), undefined);
        assert.equal(await store.users.get('u2'), undefined);
      });

      it('round-trips disabledAt', async () => {
        const disabled = user('u1', 'alice', { disabledAt: T + 1 });
        await store.users.create(disabled);
        assert.deepEqual(await store.users.get('u1'), disabled);
      });

      for (const { clash, taken } of [
        { clash: 'username', taken: user('u2', 'alice') },
        { clash: 'id', taken: user('u1', 'bob') },
      ]) {
        it(`create returns false and changes nothing when the ${clash} is taken`, async () => {
          await store.users.create(user('u1', 'alice'));
          assert.equal(await store.users.create(taken), false);
          assert.deepEqual(await store.users.get('u1'), user('u1', 'alice'));
          assert.equal(await store.users.get('u2'), undefined);
          assert.equal(await store.users.findByUsername('bob'), undefined);
          assert.equal(await store.users.count(), 1);
        });
      }

      it(`of ${CONCURRENCY} concurrent creates of one username, exactly one succeeds`, async () => {
        const results = await Promise.all(
          range(CONCURRENCY).map((index) => store.users.create(user(`u${index}`, 'alice'))),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await store.users.count(), 1);
        const winner = results.indexOf(true);
        assert.equal((await store.users.findByUsername('alice'))?.id, `u${winner}`);
      });

      it('setPassword replaces the hash of an existing user only', async () => {
        await store.users.create(user('u1', 'alice'));
        assert.equal(await store.users.setPassword('u1', 'new-hash'), true);
        assert.equal((await store.users.get('u1'))?.passwordHash, 'new-hash');
        assert.equal(await store.users.setPassword('nobody', 'hash'), false);
        assert.equal(await store.users.get('nobody'), undefined);
      });

      it('lists and counts every user', async () => {
        assert.equal(await store.users.count(), 0);
        for (const [id, name] of [
          ['u1', 'carol'],
          ['u2', 'alice'],
          ['u3', 'bob'],
        ] as const) {
          await store.users.create(user(id, name));
        }
        assert.equal(await store.users.count(), 3);
        const names = (await store.users.list()).map((listed) => listed.username);
        assert.deepEqual(names.sort(), ['alice', 'bob', 'carol']);
      });

      it('keeps a sub, and refuses a second user with the same sub', async () => {
        const alice = user('u1', 'alice', { sub: 'did:plc:alice' });
        assert.equal(await store.users.create(alice), true);
        assert.deepEqual(await store.users.get('u1'), alice);
        assert.equal(await store.users.create(user('u2', 'bob', { sub: 'did:plc:alice' })), false);
        assert.equal(await store.users.findByUsername('bob'), undefined);
        // Accounts without a sub do not clash with each other.
        assert.equal(await store.users.create(user('u3', 'carol')), true);
        assert.equal(await store.users.create(user('u4', 'dave')), true);
      });

      it('setSub sets, moves and clears a sub; a taken sub or an unknown user changes nothing', async () => {
        await store.users.create(user('u1', 'alice', { sub: 'did:plc:alice' }));
        await store.users.create(user('u2', 'bob'));
        assert.equal(await store.users.setSub('u2', 'did:plc:alice'), 'taken');
        assert.equal((await store.users.get('u2'))?.sub, undefined);
        assert.equal(await store.users.setSub('nobody', 'did:plc:nobody'), 'unknown');
        assert.equal(await store.users.setSub('u1', 'did:plc:alice'), 'set');
        assert.equal(await store.users.setSub('u1', 'did:web:alice.example'), 'set');
        assert.equal(await store.users.setSub('u2', 'did:plc:alice'), 'set');
        assert.equal((await store.users.get('u2'))?.sub, 'did:plc:alice');
        assert.equal(await store.users.setSub('u1', undefined), 'set');
        assert.deepEqual(await store.users.get('u1'), user('u1', 'alice'));
      });

      it(`of ${CONCURRENCY} concurrent setSubs of one sub on different users, exactly one succeeds`, async () => {
        for (const index of range(CONCURRENCY)) await store.users.create(user(`u${index}`, `user${index}`));
        const outcomes = await Promise.all(
          range(CONCURRENCY).map((index) => store.users.setSub(`u${index}`, 'did:plc:contested')),
        );
        assert.equal(outcomes.filter((outcome) => outcome === 'set').length, 1);
        assert.equal(outcomes.filter((outcome) => outcome === 'taken').length, CONCURRENCY - 1);
      });

      it('setDisabled disables and enables an existing user only', async () => {
        await store.users.create(user('u1', 'alice'));
        assert.equal(await store.users.setDisabled('u1', T + 5), true);
        assert.equal((await store.users.get('u1'))?.disabledAt, T + 5);
        assert.equal((await store.users.findByUsername('alice'))?.disabledAt, T + 5);
        assert.equal(await store.users.setDisabled('u1', undefined), true);
        assert.deepEqual(await store.users.get('u1'), user('u1', 'alice'));
        assert.equal(await store.users.setDisabled('nobody', T), false);
        assert.equal(await store.users.get('nobody'), undefined);
      });

      it('setAdmin grants and takes back the admin role of an existing user only (decision 0040)', async () => {
        await store.users.create(user('u1', 'alice'));
        assert.equal(await store.users.setAdmin('u1', true), true);
        assert.equal((await store.users.get('u1'))?.admin, true);
        assert.equal((await store.users.findByUsername('alice'))?.admin, true);
        assert.equal((await store.users.list())[0]?.admin, true);
        assert.equal(await store.users.setAdmin('u1', false), true);
        assert.deepEqual(await store.users.get('u1'), user('u1', 'alice'));
        assert.equal(await store.users.setAdmin('nobody', true), false);
        assert.equal(await store.users.create({ ...user('u2', 'bob'), admin: true }), true);
        assert.equal((await store.users.get('u2'))?.admin, true);
      });

      it('delete removes the user, freeing the username and sub; false for an unknown user', async () => {
        await store.users.create(user('u1', 'alice', { sub: 'did:plc:alice' }));
        assert.equal(await store.users.delete('u1'), true);
        assert.equal(await store.users.get('u1'), undefined);
        assert.equal(await store.users.findByUsername('alice'), undefined);
        assert.equal(await store.users.count(), 0);
        assert.equal(await store.users.delete('u1'), false);
        assert.equal(await store.users.create(user('u2', 'alice', { sub: 'did:plc:alice' })), true);
      });
    });

    describe('signing keys', () => {
      it('lists every key newest createdAt first, JWKs intact', async () => {
        for (const [kid, createdAt] of [
          ['k2', T + 2],
          ['k1', T + 1],
          ['k3', T + 3],
        ] as const) {
          assert.equal(await store.signingKeys.add(signingKey(kid, createdAt)), true);
        }
        const listed = await store.signingKeys.list();
        assert.deepEqual(listed, [signingKey('k3', T + 3), signingKey('k2', T + 2), signingKey('k1', T + 1)]);
      });

      it('add returns false on a duplicate kid and keeps the first key', async () => {
        await store.signingKeys.add(signingKey('k1', T));
        assert.equal(await store.signingKeys.add(signingKey('k1', T + 5)), false);
        assert.deepEqual(await store.signingKeys.list(), [signingKey('k1', T)]);
      });

      it('retire is idempotent and keeps the first retiredAt', async () => {
        await store.signingKeys.add(signingKey('k1', T));
        await store.signingKeys.retire('k1', T + 10);
        await store.signingKeys.retire('k1', T + 20);
        await store.signingKeys.retire('unknown', T + 20);
        assert.deepEqual(await store.signingKeys.list(), [{ ...signingKey('k1', T), retiredAt: T + 10 }]);
      });

      it('delete reports whether a key existed', async () => {
        await store.signingKeys.add(signingKey('k1', T));
        assert.equal(await store.signingKeys.delete('k1'), true);
        assert.equal(await store.signingKeys.delete('k1'), false);
        assert.deepEqual(await store.signingKeys.list(), []);
      });
    });

    describe('server secrets', () => {
      it('getOrCreate creates once, then returns the stored value', async () => {
        assert.equal(await store.serverSecrets.getOrCreate('cookie', () => 'first'), 'first');
        assert.equal(await store.serverSecrets.getOrCreate('cookie', () => 'second'), 'first');
        assert.equal(await store.serverSecrets.getOrCreate('csrf', () => 'other'), 'other');
      });

      it(`of ${CONCURRENCY} concurrent getOrCreate calls, the first value written wins for all`, async () => {
        const values = await Promise.all(
          range(CONCURRENCY).map((index) =>
            store.serverSecrets.getOrCreate('cookie', () => `value-${index}`),
          ),
        );
        assert.equal(new Set(values).size, 1);
        assert.match(values[0]!, /^value-\d+$/);
        assert.equal(await store.serverSecrets.getOrCreate('cookie', () => 'late'), values[0]);
      });
    });

    describe('sessions', () => {
      for (const { expiresAt, live } of [
        { expiresAt: T - 1, live: false },
        { expiresAt: T, live: false },
        { expiresAt: T + 1, live: true },
      ]) {
        it(`get at T ${live ? 'returns' : 'hides'} a session expiring at T${offset(expiresAt)}`, async () => {
          const record = session('s1', { expiresAt });
          await store.sessions.create(record);
          assert.deepEqual(await store.sessions.get('s1', T), live ? record : undefined);
          assert.deepEqual(await store.sessions.get('s1', T - 10), record, 'not deleted by being read');
        });
      }

      it('delete removes the session', async () => {
        await store.sessions.create(session('s1'));
        await store.sessions.delete('s1');
        await store.sessions.delete('s1');
        assert.equal(await store.sessions.get('s1', T), undefined);
      });
    });

    describe('authorization requests', () => {
      it('round-trips a record with and without its optional fields', async () => {
        const full = request('r1', {
          state: 'xyz',
          prompt: 'consent',
          maxAge: 300,
          loginHint: 'alice',
          // RFC 9449 §10: the DPoP key a pushed or pending request binds its code to.
          dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
        });
        const bare = request('r2');
        await store.authorizationRequests.create(full);
        await store.authorizationRequests.create(bare);
        assert.deepEqual(await store.authorizationRequests.get('r1', T), full);
        assert.deepEqual(await store.authorizationRequests.get('r2', T), bare);
      });

      for (const { expiresAt, live } of [
        { expiresAt: T - 1, live: false },
        { expiresAt: T, live: false },
        { expiresAt: T + 1, live: true },
      ]) {
        it(`get and consume at T ${live ? 'return' : 'hide'} a request expiring at T${offset(expiresAt)}`, async () => {
          const record = request('r1', { expiresAt });
          await store.authorizationRequests.create(record);
          assert.deepEqual(await store.authorizationRequests.get('r1', T), live ? record : undefined);
          assert.deepEqual(await store.authorizationRequests.consume('r1', T), live ? record : undefined);
        });
      }

      it('consume returns the record once and removes it', async () => {
        const record = request('r1');
        await store.authorizationRequests.create(record);
        assert.deepEqual(await store.authorizationRequests.consume('r1', T), record);
        assert.equal(await store.authorizationRequests.consume('r1', T), undefined);
        assert.equal(await store.authorizationRequests.get('r1', T), undefined);
        assert.equal(await store.authorizationRequests.consume('unknown', T), undefined);
      });

      it(`of ${CONCURRENCY} concurrent consumes, exactly one gets the record`, async () => {
        await store.authorizationRequests.create(request('r1'));
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.authorizationRequests.consume('r1', T)),
        );
        assert.equal(results.filter((result) => result !== undefined).length, 1);
      });
    });

    describe('authorization requests of a removed client', () => {
      it('deleteByClient removes pending and pushed requests of the client alike, counting them', async () => {
        const removed = [request('r1'), request('par:p1'), request('r2', { expiresAt: T - 1 })];
        const kept = request('r3', { clientId: 'c2' });
        for (const record of [...removed, kept]) await store.authorizationRequests.create(record);

        assert.equal(await store.authorizationRequests.deleteByClient('c1'), removed.length);
        assert.equal(await store.authorizationRequests.deleteByClient('c1'), 0);

        // Read "as of" before every expiry: a row still there would show.
        const before = T - 2 * MINUTE;
        let checked = 0;
        for (const { id } of removed) {
          assert.equal(await store.authorizationRequests.get(id, before), undefined, `${id} removed`);
          checked++;
        }
        assert.equal(checked, removed.length);
        assert.deepEqual(await store.authorizationRequests.get('r3', T), kept);
      });
    });

    describe('authorization codes', () => {
      it('redeem of an unknown digest is unknown', async () => {
        assert.deepEqual(await store.authorizationCodes.redeem('nope', 'f1', T), { outcome: 'unknown' });
      });

      it('the first redeem wins, setting redeemedAt and familyId to its arguments', async () => {
        await store.authorizationCodes.create(code('d1'));
        assert.deepEqual(await store.authorizationCodes.redeem('d1', 'f1', T), {
          outcome: 'redeemed',
          code: { ...code('d1'), redeemedAt: T, familyId: 'f1' },
        });
      });

      it('round-trips the DPoP key binding (RFC 9449 §10); a code without one stays without', async () => {
        const bound = code('d1', { dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
        await store.authorizationCodes.create(bound);
        await store.authorizationCodes.create(code('d2'));
        assert.deepEqual(await store.authorizationCodes.redeem('d1', 'f1', T), {
          outcome: 'redeemed',
          code: { ...bound, redeemedAt: T, familyId: 'f1' },
        });
        const unbound = await store.authorizationCodes.redeem('d2', 'f2', T);
        assert.deepEqual(unbound, {
          outcome: 'redeemed',
          code: { ...code('d2'), redeemedAt: T, familyId: 'f2' },
        });
        assert.equal(
          unbound.outcome === 'redeemed' && 'dpopJkt' in unbound.code,
          false,
          'absent, not undefined',
        );
      });

      it("every later redeem is reused, with the winner's redeemedAt and familyId", async () => {
        await store.authorizationCodes.create(code('d1'));
        await store.authorizationCodes.redeem('d1', 'f1', T);
        for (const [familyId, now] of [
          ['f2', T + 1],
          ['f3', T + 10 * MINUTE],
        ] as const) {
          assert.deepEqual(await store.authorizationCodes.redeem('d1', familyId, now), {
            outcome: 'reused',
            code: { ...code('d1'), redeemedAt: T, familyId: 'f1' },
          });
        }
      });

      it('redeem ignores expiry: an expired code is still burnt by the attempt', async () => {
        await store.authorizationCodes.create(code('d1', { expiresAt: T - MINUTE }));
        assert.equal((await store.authorizationCodes.redeem('d1', 'f1', T)).outcome, 'redeemed');
        assert.equal((await store.authorizationCodes.redeem('d1', 'f2', T)).outcome, 'reused');
      });

      it(`of ${CONCURRENCY} concurrent redeems, exactly one wins and the rest see its familyId`, async () => {
        await store.authorizationCodes.create(code('d1'));
        const results = await Promise.all(
          range(CONCURRENCY).map((index) => store.authorizationCodes.redeem('d1', `f${index}`, T + index)),
        );
        const winners = results.filter((result) => result.outcome === 'redeemed');
        assert.equal(winners.length, 1);
        const winner = winners[0]!.code;
        for (const result of results) {
          if (result.outcome === 'unknown') assert.fail('a created code is never unknown');
          assert.equal(result.code.familyId, winner.familyId);
          assert.equal(result.code.redeemedAt, winner.redeemedAt);
        }
      });
    });

    describe('authorization codes of a removed client', () => {
      it('deleteByClient removes the unredeemed codes; redeemed ones stay, so a reuse is still seen', async () => {
        await store.authorizationCodes.create(code('d1'));
        await store.authorizationCodes.create(code('d2'));
        await store.authorizationCodes.create(code('d3'));
        await store.authorizationCodes.create(code('d4', { clientId: 'c2' }));
        await store.authorizationCodes.redeem('d3', 'f3', T);

        assert.equal(await store.authorizationCodes.deleteByClient('c1'), 2);
        assert.equal(await store.authorizationCodes.deleteByClient('c1'), 0);

        assert.deepEqual(await store.authorizationCodes.redeem('d1', 'f1', T), { outcome: 'unknown' });
        assert.deepEqual(await store.authorizationCodes.redeem('d2', 'f2', T), { outcome: 'unknown' });
        assert.deepEqual(await store.authorizationCodes.redeem('d3', 'f-late', T + 1), {
          outcome: 'reused',
          code: { ...code('d3'), redeemedAt: T, familyId: 'f3' },
        });
        assert.equal((await store.authorizationCodes.redeem('d4', 'f4', T)).outcome, 'redeemed');
      });
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

    describe('token families', () => {
      it('round-trips a family', async () => {
        const record = family('f1');
        await store.tokenFamilies.create(record);
        assert.deepEqual(await store.tokenFamilies.get('f1'), record);
        assert.equal(await store.tokenFamilies.get('f2'), undefined);
      });

      it('round-trips the client key thumbprint (AT-9 binding); a family without one stays without', async () => {
        const bound = family('f1', { clientKeyThumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
        await store.tokenFamilies.create(bound);
        await store.tokenFamilies.create(family('f2'));
        assert.deepEqual(await store.tokenFamilies.get('f1'), bound);
        const unbound = await store.tokenFamilies.get('f2');
        assert.deepEqual(unbound, family('f2'));
        assert.equal(
          unbound !== undefined && 'clientKeyThumbprint' in unbound,
          false,
          'absent, not undefined',
        );
        assert.deepEqual(await store.tokenFamilies.listByClient('c1'), [bound, family('f2')]);
      });

      it('round-trips the DPoP key (RFC 9449 §5); a family without one stays without', async () => {
        const bound = family('f1', { dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
        await store.tokenFamilies.create(bound);
        await store.tokenFamilies.create(family('f2'));
        assert.deepEqual(await store.tokenFamilies.get('f1'), bound);
        const unbound = await store.tokenFamilies.get('f2');
        assert.equal(unbound !== undefined && 'dpopJkt' in unbound, false, 'absent, not undefined');
        // Over a tombstone too: the binding is kept and the family stays revoked.
        await store.tokenFamilies.revoke('f3', 'code_reused', T + 1);
        await store.tokenFamilies.create(family('f3', { dpopJkt: 'thumb' }));
        assert.equal((await store.tokenFamilies.get('f3'))?.dpopJkt, 'thumb');
        assert.equal((await store.tokenFamilies.get('f3'))?.revokedAt, T + 1);
      });

      it('a family created over a tombstone keeps its thumbprint and stays revoked', async () => {
        await store.tokenFamilies.revoke('f1', 'code_reused', T + 1);
        await store.tokenFamilies.create(family('f1', { clientKeyThumbprint: 'thumb' }));
        assert.deepEqual(await store.tokenFamilies.get('f1'), {
          ...family('f1', { clientKeyThumbprint: 'thumb' }),
          revokedAt: T + 1,
          revokedReason: 'code_reused',
        });
      });

      it('revoke is idempotent: the first revokedAt and reason win', async () => {
        await store.tokenFamilies.create(family('f1'));
        await store.tokenFamilies.revoke('f1', 'code_reused', T + 1);
        await store.tokenFamilies.revoke('f1', 'refresh_token_reused', T + 2);
        assert.deepEqual(await store.tokenFamilies.get('f1'), {
          ...family('f1'),
          revokedAt: T + 1,
          revokedReason: 'code_reused',
        });
      });

      it('revoke before create leaves a tombstone: the family is created revoked', async () => {
        await store.tokenFamilies.revoke('f1', 'code_reused', T + 1);
        await store.tokenFamilies.revoke('f1', 'later', T + 2);
        assert.equal(await store.tokenFamilies.get('f1'), undefined, 'a tombstone is not a family');
        await store.tokenFamilies.create(family('f1'));
        assert.deepEqual(await store.tokenFamilies.get('f1'), {
          ...family('f1'),
          revokedAt: T + 1,
          revokedReason: 'code_reused',
        });
      });

      it('revokeByClient revokes the live families of that client and counts them', async () => {
        await store.tokenFamilies.create(family('f1', { clientId: 'c1' }));
        await store.tokenFamilies.create(family('f2', { clientId: 'c1' }));
        await store.tokenFamilies.create(family('f3', { clientId: 'c1' }));
        await store.tokenFamilies.create(family('f4', { clientId: 'c2' }));
        await store.tokenFamilies.revoke('f3', 'earlier', T);
        await store.tokenFamilies.revoke('tombstone', 'earlier', T);

        assert.equal(await store.tokenFamilies.revokeByClient('c1', 'client_blocked', T + 1), 2);
        assert.equal(await store.tokenFamilies.revokeByClient('c1', 'client_blocked', T + 2), 0);

        const state = (await store.tokenFamilies.listByClient('c1')).map((found) => [
          found.id,
          found.revokedAt,
          found.revokedReason,
        ]);
        assert.deepEqual(
          state.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          [
            ['f1', T + 1, 'client_blocked'],
            ['f2', T + 1, 'client_blocked'],
            ['f3', T, 'earlier'],
          ],
        );
        assert.equal((await store.tokenFamilies.get('f4'))?.revokedAt, undefined);
      });

      it('listByClient lists only that client', async () => {
        await store.tokenFamilies.create(family('f1', { clientId: 'c1' }));
        await store.tokenFamilies.create(family('f2', { clientId: 'c2' }));
        assert.deepEqual(await store.tokenFamilies.listByClient('c1'), [family('f1', { clientId: 'c1' })]);
        assert.deepEqual(await store.tokenFamilies.listByClient('c3'), []);
      });
    });

    describe('dynamic registrations', () => {
      const registered = (id: string, createdAt: number, extra: Partial<ClientRecord> = {}) =>
        client(id, {
          kind: 'dcr',
          createdAt,
          updatedAt: createdAt,
          registration: { accessTokenDigest: `rat-${id}`, fingerprint: 'fp-1', softwareStatement: 'eyJ.x.y' },
          ...extra,
        });

      it('keeps the registration and lastUsedAt, and put without them clears them', async () => {
        await store.clients.put(registered('d1', T, { lastUsedAt: T + 1 }));
        assert.deepEqual(await store.clients.get('d1'), registered('d1', T, { lastUsedAt: T + 1 }));
        await store.clients.put(client('d1'));
        assert.deepEqual(await store.clients.get('d1'), client('d1'));
      });

      it('finds the newest registration by fingerprint', async () => {
        await store.clients.put(registered('d1', T));
        await store.clients.put(registered('d2', T + MINUTE));
        assert.equal((await store.clients.findByFingerprint('fp-1'))?.clientId, 'd2');
        assert.equal(await store.clients.findByFingerprint('fp-unknown'), undefined);
      });

      it('touch records the last use', async () => {
        await store.clients.put(registered('d1', T));
        await store.clients.touch('d1', T + MINUTE);
        assert.equal((await store.clients.get('d1'))?.lastUsedAt, T + MINUTE);
        await store.clients.touch('nobody', T); // no-op
      });

      it('reaps never-used and idle registrations only, up to the limit, and returns their ids', async () => {
        await store.clients.put(registered('never-used-old', T));
        await store.clients.put(registered('never-used-new', T + 10 * MINUTE));
        await store.clients.put(registered('used-recently', T, { lastUsedAt: T + 9 * MINUTE }));
        await store.clients.put(registered('idle', T, { lastUsedAt: T + MINUTE }));
        await store.clients.put(client('static-old', { createdAt: T, updatedAt: T }));
        const criteria = { neverUsedCreatedBefore: T + 5 * MINUTE, idleSince: T + 5 * MINUTE };
        const reaped = await store.clients.reapRegistrations({ ...criteria, limit: 1 });
        assert.equal(reaped.length, 1);
        const rest = await store.clients.reapRegistrations({ ...criteria, limit: 100 });
        assert.deepEqual([...reaped, ...rest].sort(), ['idle', 'never-used-old']);
        assert.deepEqual((await store.clients.list()).map((c) => c.clientId).sort(), [
          'never-used-new',
          'static-old',
          'used-recently',
        ]);
      });
    });

    describe('initial access tokens', () => {
      const token = (extra: Partial<InitialAccessTokenRecord> = {}): InitialAccessTokenRecord => ({
        id: 'iat-1',
        digest: 'iat-digest-1',
        label: 'ci',
        createdAt: T,
        uses: 0,
        ...extra,
      });

      it('counts uses up to maxUses', async () => {
        await store.initialAccessTokens.create(token({ maxUses: 2 }));
        assert.equal((await store.initialAccessTokens.use('iat-digest-1', T))?.uses, 1);
        assert.equal((await store.initialAccessTokens.use('iat-digest-1', T))?.uses, 2);
        assert.equal(await store.initialAccessTokens.use('iat-digest-1', T), undefined);
        assert.equal((await store.initialAccessTokens.list())[0]?.uses, 2);
      });

      it('refuses expired, revoked and unknown tokens without counting', async () => {
        await store.initialAccessTokens.create(token({ expiresAt: T + MINUTE }));
        assert.equal(await store.initialAccessTokens.use('iat-digest-1', T + MINUTE), undefined);
        assert.equal(await store.initialAccessTokens.use('unknown', T), undefined);
        assert.equal((await store.initialAccessTokens.use('iat-digest-1', T))?.uses, 1);
        assert.equal(await store.initialAccessTokens.revoke('iat-1', T + 1), true);
        assert.equal(await store.initialAccessTokens.use('iat-digest-1', T + 2), undefined);
        assert.equal(await store.initialAccessTokens.revoke('unknown', T), false);
        const [listed] = await store.initialAccessTokens.list();
        assert.equal(listed?.uses, 1);
        assert.equal(listed?.revokedAt, T + 1);
      });

      it(`of ${CONCURRENCY} concurrent uses of a token good for 3, exactly 3 succeed`, async () => {
        await store.initialAccessTokens.create(token({ maxUses: 3 }));
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.initialAccessTokens.use('iat-digest-1', T)),
        );
        assert.equal(results.filter((result) => result !== undefined).length, 3);
      });

      it('keeps a scope limit through create, use and list; an absent scope stays absent', async () => {
        await store.initialAccessTokens.create(token({ scope: 'read write' }));
        await store.initialAccessTokens.create(token({ id: 'iat-2', digest: 'iat-digest-2' }));
        // get reads without counting: the limits are judged before a use is spent (DCR-SEC-4).
        assert.equal((await store.initialAccessTokens.get('iat-digest-1'))?.scope, 'read write');
        assert.equal((await store.initialAccessTokens.get('iat-digest-1'))?.uses, 0);
        assert.equal(await store.initialAccessTokens.get('unknown'), undefined);
        assert.equal((await store.initialAccessTokens.use('iat-digest-1', T))?.scope, 'read write');
        const unlimited = await store.initialAccessTokens.use('iat-digest-2', T);
        // exactOptionalPropertyTypes: "no limit" is an absent member, never `scope: undefined`/null.
        assert.equal(unlimited !== undefined && 'scope' in unlimited, false);
        const listed = await store.initialAccessTokens.list();
        assert.equal(listed.find((t) => t.id === 'iat-1')?.scope, 'read write');
        const second = listed.find((t) => t.id === 'iat-2');
        assert.equal(second !== undefined && 'scope' in second, false);
      });
    });

    describe('client documents', () => {
      const version = (digest: string, fetchedAt: number, clientId = 'https://app.example/cimd') => ({
        clientId,
        digest,
        body: `{"client_id":"${clientId}","v":"${digest}"}`,
        fetchedAt,
        headers: { etag: `"${digest}"` },
      });

      it('appends a new digest and reports what it replaced', async () => {
        const first = await store.clientDocuments.record(version('d1', T), T);
        assert.deepEqual(first, { changed: true, current: { ...version('d1', T), lastSeenAt: T } });
        const second = await store.clientDocuments.record(version('d2', T + MINUTE), T + MINUTE);
        assert.equal(second.changed, true);
        assert.equal(second.changed && second.previous?.digest, 'd1');
        assert.deepEqual(
          (await store.clientDocuments.history('https://app.example/cimd')).map((v) => v.digest),
          ['d2', 'd1'],
        );
      });

      it('the same digest only moves lastSeenAt and the headers', async () => {
        await store.clientDocuments.record(version('d1', T), T);
        const again = await store.clientDocuments.record(
          { ...version('d1', T + MINUTE), headers: { etag: '"new"' } },
          T + MINUTE,
        );
        assert.equal(again.changed, false);
        const latest = await store.clientDocuments.latest('https://app.example/cimd');
        assert.equal(latest?.fetchedAt, T);
        assert.equal(latest?.lastSeenAt, T + MINUTE);
        assert.deepEqual(latest?.headers, { etag: '"new"' });
        assert.equal((await store.clientDocuments.history('https://app.example/cimd')).length, 1);
      });

      it('a document that changes back is a new version', async () => {
        await store.clientDocuments.record(version('d1', T), T);
        await store.clientDocuments.record(version('d2', T + 1), T + 1);
        const back = await store.clientDocuments.record(version('d1', T + 2), T + 2);
        assert.equal(back.changed, true);
        assert.deepEqual(
          (await store.clientDocuments.history('https://app.example/cimd', 2)).map((v) => v.digest),
          ['d1', 'd2'],
        );
      });

      it('keeps clients apart, and knows nothing of an unseen one', async () => {
        await store.clientDocuments.record(version('d1', T, 'https://a.example/c'), T);
        assert.equal(await store.clientDocuments.latest('https://b.example/c'), undefined);
        assert.deepEqual(await store.clientDocuments.history('https://b.example/c'), []);
      });

      it(`of ${CONCURRENCY} concurrent records of one new digest, exactly one is a change`, async () => {
        await store.clientDocuments.record(version('d1', T), T);
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.clientDocuments.record(version('d2', T + MINUTE), T + MINUTE)),
        );
        assert.equal(results.filter((result) => result.changed).length, 1);
        assert.equal((await store.clientDocuments.history('https://app.example/cimd')).length, 2);
      });
    });

    describe('client documents of a removed client', () => {
      const version = (digest: string, fetchedAt: number, clientId = 'https://app.example/cimd') => ({
        clientId,
        digest,
        body: `{"client_id":"${clientId}"}`,
        fetchedAt,
        headers: {},
      });

      it('deleteByClient removes every version of the client and counts them; others stay', async () => {
        await store.clientDocuments.record(version('d1', T), T);
        await store.clientDocuments.record(version('d2', T + 1), T + 1);
        await store.clientDocuments.record(version('d1', T + 2), T + 2);
        await store.clientDocuments.record(version('d1', T, 'https://other.example/cimd'), T);

        assert.equal(await store.clientDocuments.deleteByClient('https://app.example/cimd'), 3);
        assert.equal(await store.clientDocuments.deleteByClient('https://app.example/cimd'), 0);

        assert.equal(await store.clientDocuments.latest('https://app.example/cimd'), undefined);
        assert.deepEqual(await store.clientDocuments.history('https://app.example/cimd'), []);
        assert.equal((await store.clientDocuments.latest('https://other.example/cimd'))?.digest, 'd1');
      });
    });

    describe('client change feed', () => {
      const change = (clientId: string, at = T, kind: 'removed' | 'updated' = 'removed') => ({
        clientId,
        kind,
        at,
      });

      it('latest is 0 and since is empty when nothing was published', async () => {
        assert.equal(await store.clientChanges.latest(), 0);
        assert.deepEqual(await store.clientChanges.since(0, 10), []);
      });

      it('publish returns increasing sequences; since lists ascending, after a sequence, up to limit', async () => {
        const published: number[] = [];
        for (const [index, clientId] of ['c1', 'c2', 'c3', 'c4'].entries()) {
          published.push(
            await store.clientChanges.publish(change(clientId, T + index, index % 2 ? 'updated' : 'removed')),
          );
        }
        assert.equal(published.length, 4);
        for (let index = 1; index < published.length; index++) {
          assert.ok(published[index]! > published[index - 1]!, `sequence ${index} grows`);
        }
        assert.equal(await store.clientChanges.latest(), published[3]);

        assert.deepEqual(await store.clientChanges.since(0, 10), [
          { sequence: published[0], clientId: 'c1', kind: 'removed', at: T },
          { sequence: published[1], clientId: 'c2', kind: 'updated', at: T + 1 },
          { sequence: published[2], clientId: 'c3', kind: 'removed', at: T + 2 },
          { sequence: published[3], clientId: 'c4', kind: 'updated', at: T + 3 },
        ]);
        const page = await store.clientChanges.since(published[0]!, 2);
        assert.deepEqual(
          page.map((found) => found.clientId),
          ['c2', 'c3'],
        );
        assert.deepEqual(await store.clientChanges.since(published[3]!, 10), []);
      });

      it('purgeExpired removes changes older than the retention and keeps the newer ones', async () => {
        const retention = CLIENT_CHANGE_RETENTION_MS;
        await store.clientChanges.publish(change('old-1', T - retention - 2));
        await store.clientChanges.publish(change('old-2', T - retention - 1));
        const kept = await store.clientChanges.publish(change('fresh', T - retention + 1));
        const newest = await store.clientChanges.publish(change('newest', T));

        await store.purgeExpired(T);

        assert.deepEqual(
          (await store.clientChanges.since(0, 10)).map((found) => found.sequence),
          [kept, newest],
        );
        assert.equal(await store.clientChanges.latest(), newest);
      });

      it('after everything expired, latest and the next sequence still grow', async () => {
        await store.clientChanges.publish(change('c1', T - CLIENT_CHANGE_RETENTION_MS - 2));
        const last = await store.clientChanges.publish(change('c2', T - CLIENT_CHANGE_RETENTION_MS - 1));
        await store.purgeExpired(T);
        assert.equal(await store.clientChanges.latest(), last);
        assert.ok((await store.clientChanges.publish(change('c3'))) > last);
      });

      // Only a backend with a database to share has two handles (the memory store has none).
      const { openTwoHandles } = options;
      if (openTwoHandles !== undefined)
        it('sequences grow across two handles on one database', async () => {
          const [first, second] = await openTwoHandles();
          try {
            const sequences: number[] = [];
            for (const [index, handle] of [first, second, first, second].entries()) {
              sequences.push(await handle.clientChanges.publish(change(`c${index}`)));
            }
            assert.equal(sequences.length, 4);
            for (let index = 1; index < sequences.length; index++) {
              assert.ok(sequences[index]! > sequences[index - 1]!, `sequence ${index} grows`);
            }
            assert.deepEqual(
              (await second.clientChanges.since(0, 10)).map((found) => found.clientId),
              ['c0', 'c1', 'c2', 'c3'],
            );
            assert.equal(await first.clientChanges.latest(), sequences[3]);
          } finally {
            await first.close();
            await second.close();
          }
        });
    });

    describe('replay', () => {
      it('remember is true once for a key, then false while the entry lives', async () => {
        assert.equal(await store.replay.remember('jti-1', T + MINUTE, T), true);
        assert.equal(await store.replay.remember('jti-1', T + 2 * MINUTE, T + 1), false);
        assert.equal(await store.replay.remember('jti-2', T + MINUTE, T + 1), true);
      });

      for (const { now, live } of [
        { now: T + MINUTE - 1, live: true },
        { now: T + MINUTE, live: false },
        { now: T + MINUTE + 1, live: false },
      ]) {
        it(`at T${offset(now)} an entry expiring at T+${MINUTE} is ${live ? 'live' : 'expired'}`, async () => {
          await store.replay.remember('jti-1', T + MINUTE, T);
          assert.equal(await store.replay.has('jti-1', now), live);
          // Once expired, the key can be remembered again (and is then live until its new expiry).
          assert.equal(await store.replay.remember('jti-1', now + MINUTE, now), !live);
          assert.equal(await store.replay.has('jti-1', now), true);
        });
      }

      it('has is false for a key never remembered', async () => {
        assert.equal(await store.replay.has('unknown', T), false);
      });

      it(`of ${CONCURRENCY} concurrent remembers of one key, exactly one is true`, async () => {
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.replay.remember('jti-1', T + MINUTE, T)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });
    });

    describe('audit', () => {
      const events: AuditEvent[] = [
        {
          at: T + 1,
          type: 'token.issued',
          clientId: 'c1',
          userId: 'u1',
          detail: { grant_type: 'authorization_code' },
        },
        { at: T + 3, type: 'login.failed', userId: 'u2', reason: 'bad_password' },
        { at: T + 2, type: 'token.issued', clientId: 'c2', userId: 'u2' },
        {
          at: T + 3,
          type: 'code.reused',
          clientId: 'c1',
          reason: 'code_reused',
          detail: { family_id: 'f1', n: 1 },
        },
        { at: T + 4, type: 'client.added' },
      ];

      it('list is newest first (same millisecond: last appended first), fields intact', async () => {
        for (const event of events) await store.audit.append(event);
        assert.deepEqual(await store.audit.list(), [events[4], events[3], events[1], events[2], events[0]]);
      });

      const filters: { options: Parameters<Store['audit']['list']>[0]; expected: number[] }[] = [
        { options: { type: 'token.issued' }, expected: [2, 0] },
        { options: { clientId: 'c1' }, expected: [3, 0] },
        { options: { userId: 'u2' }, expected: [1, 2] },
        { options: { type: 'token.issued', userId: 'u2' }, expected: [2] },
        { options: { limit: 2 }, expected: [4, 3] },
        { options: { clientId: 'c1', limit: 1 }, expected: [3] },
        { options: { type: 'nothing' }, expected: [] },
      ];
      for (const { options, expected } of filters) {
        it(`list(${JSON.stringify(options)}) filters and limits`, async () => {
          for (const event of events) await store.audit.append(event);
          assert.deepEqual(
            await store.audit.list(options),
            expected.map((index) => events[index]),
          );
        });
      }
    });

    describe('audit actor', () => {
      const events: AuditEvent[] = [
        { at: T + 1, type: 'client.removed', clientId: 'c1', actor: 'cli:alice' },
        { at: T + 2, type: 'token.issued', clientId: 'c1', userId: 'u1' },
        { at: T + 3, type: 'client.reaped', clientId: 'c2', actor: 'system:reaper' },
        { at: T + 4, type: 'client.updated', clientId: 'c3', actor: 'cli:alice', reason: 'metadata' },
      ];

      it('round-trips the actor; an event without one stays without', async () => {
        for (const event of events) await store.audit.append(event);
        const listed = await store.audit.list();
        assert.deepEqual(listed, [events[3], events[2], events[1], events[0]]);
        assert.equal('actor' in listed[2]!, false, 'absent, not undefined');
      });

      it('list({ actor }) filters by actor, with the other filters and the limit', async () => {
        for (const event of events) await store.audit.append(event);
        assert.deepEqual(await store.audit.list({ actor: 'cli:alice' }), [events[3], events[0]]);
        assert.deepEqual(await store.audit.list({ actor: 'cli:alice', limit: 1 }), [events[3]]);
        assert.deepEqual(await store.audit.list({ actor: 'cli:alice', clientId: 'c1' }), [events[0]]);
        assert.deepEqual(await store.audit.list({ actor: 'system:reaper' }), [events[2]]);
        assert.deepEqual(await store.audit.list({ actor: 'nobody' }), []);
      });
    });

    describe('purgeExpired', () => {
      it('deletes expired codes, requests, sessions, refresh tokens and replay entries, keeping live ones', async () => {
        for (const [suffix, expiresAt] of [
          ['expired', T - 1],
          ['live', T + MINUTE],
        ] as const) {
          await store.sessions.create(session(`s-${suffix}`, { expiresAt }));
          await store.authorizationRequests.create(request(`r-${suffix}`, { expiresAt }));
          await store.authorizationCodes.create(code(`d-${suffix}`, { expiresAt }));
          await store.refreshTokens.create(refreshToken(`t-${suffix}`, { expiresAt }));
          await store.replay.remember(`j-${suffix}`, expiresAt, T - MINUTE);
        }

        await store.purgeExpired(T);

        // Reading "as of" a time before every expiry shows whether the row itself is still there.
        const before = T - MINUTE;
        for (const [suffix, kept] of [
          ['expired', false],
          ['live', true],
        ] as const) {
          const what = `${suffix} rows ${kept ? 'kept' : 'deleted'}`;
          assert.equal(
            (await store.sessions.get(`s-${suffix}`, before)) !== undefined,
            kept,
            `session: ${what}`,
          );
          assert.equal(
            (await store.authorizationRequests.get(`r-${suffix}`, before)) !== undefined,
            kept,
            `request: ${what}`,
          );
          assert.equal(
            (await store.refreshTokens.get(`t-${suffix}`)) !== undefined,
            kept,
            `refresh token: ${what}`,
          );
          assert.equal(await store.replay.has(`j-${suffix}`, before), kept, `replay: ${what}`);
          const redeemed = await store.authorizationCodes.redeem(`d-${suffix}`, 'f1', T);
          assert.equal(redeemed.outcome, kept ? 'redeemed' : 'unknown', `code: ${what}`);
        }
      });

      it('purges in batches, yielding between them: a write made meanwhile is kept, every expired row goes', async () => {
        // 23 expired requests in batches of 4: distinct expiries, and six sharing one (a batch ends
        // at an expiry, so ties go together); one live request.
        const expiries = [...range(17).map((i) => T - 1 - i), ...range(6).map(() => T - 100)];
        for (const [i, expiresAt] of expiries.entries())
          await store.authorizationRequests.create(request(`old-${i}`, { expiresAt }));
        await store.authorizationRequests.create(request('live', { expiresAt: T + MINUTE }));

        let purged = false;
        const purge = store.purgeExpired(T, 4).then(() => {
          purged = true;
        });
        // Not in one go: other work runs between batches (one statement for everything held
        // SQLite's event loop for seconds).
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(purged, false, 'the purge is still running after a turn of the event loop');
        await store.sessions.create(session('meanwhile', { expiresAt: T + MINUTE }));
        await purge;

        const before = T - MINUTE;
        for (const i of range(expiries.length))
          assert.equal(
            await store.authorizationRequests.get(`old-${i}`, before),
            undefined,
            `old-${i} purged`,
          );
        assert.ok(await store.authorizationRequests.get('live', before), 'the live request is kept');
        assert.ok(await store.sessions.get('meanwhile', before), 'the write made meanwhile is kept');
      });
    });

    describe('records are copies', () => {
      // Mutating a record a caller passed in or got back must never change what is stored.
      const cases: { what: string; check: (store: Store) => Promise<void> }[] = [
        {
          what: 'grant',
          check: async (s) => {
            const upsert = grantUpsert('g1');
            const grant = await s.grants.upsert(upsert);
            upsert.scope.push('admin');
            grant.scope.push('admin');
            (await s.grants.get('g1'))!.scope.push('admin');
            assert.deepEqual((await s.grants.get('g1'))?.scope, ['read']);
          },
        },
        {
          what: 'authorization code',
          check: async (s) => {
            const created = code('d1');
            await s.authorizationCodes.create(created);
            created.scope.push('admin');
            const result = await s.authorizationCodes.redeem('d1', 'f1', T);
            if (result.outcome === 'unknown') assert.fail('created code is unknown');
            result.code.scope.push('admin');
            result.code.familyId = 'f-evil';
            const again = await s.authorizationCodes.redeem('d1', 'f2', T);
            assert.deepEqual(again, {
              outcome: 'reused',
              code: { ...code('d1'), redeemedAt: T, familyId: 'f1' },
            });
          },
        },
        {
          what: 'token family',
          check: async (s) => {
            await s.tokenFamilies.create(family('f1'));
            const got = await s.tokenFamilies.get('f1');
            got!.resources.push('https://evil.example/');
            assert.deepEqual(await s.tokenFamilies.get('f1'), family('f1'));
          },
        },
        {
          what: 'audit event',
          check: async (s) => {
            const event: AuditEvent = { at: T, type: 'token.issued', detail: { family_id: 'f1' } };
            await s.audit.append(event);
            event.detail!.family_id = 'changed';
            (await s.audit.list())[0]!.detail!.family_id = 'changed';
            assert.deepEqual(await s.audit.list(), [
              { at: T, type: 'token.issued', detail: { family_id: 'f1' } },
            ]);
          },
        },
      ];
      for (const { what, check } of cases) it(`for a ${what}`, () => check(store));
    });

    describe('create with a key that is taken', () => {
      // Keys are random digests and ids, so a clash is a bug; overwriting would, e.g., un-redeem a code.
      const cases: { what: string; create: (store: Store) => Promise<void> }[] = [
        { what: 'session', create: (s) => s.sessions.create(session('k')) },
        { what: 'authorization request', create: (s) => s.authorizationRequests.create(request('k')) },
        { what: 'authorization code', create: (s) => s.authorizationCodes.create(code('k')) },
        { what: 'refresh token', create: (s) => s.refreshTokens.create(refreshToken('k')) },
        { what: 'token family', create: (s) => s.tokenFamilies.create(family('k')) },
      ];
      for (const { what, create } of cases) {
        it(`rejects a duplicate ${what}`, async () => {
          await create(store);
          await assert.rejects(create(store));
        });
      }

      it('keeps a redeemed code redeemed', async () => {
        await store.authorizationCodes.create(code('d1'));
        await store.authorizationCodes.redeem('d1', 'f1', T);
        await assert.rejects(store.authorizationCodes.create(code('d1')));
        assert.equal((await store.authorizationCodes.redeem('d1', 'f2', T)).outcome, 'reused');
      });
    });
  });
}

// Fixtures: complete, valid records; `overrides` replaces whole fields.

function client(clientId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId,
    kind: 'static',
    metadata: {
      client_id: clientId,
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    createdAt: T,
    updatedAt: T,
    ...overrides,
  };
}

function user(id: string, username: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return { id, username, passwordHash: `scrypt$hash-of-${id}`, createdAt: T, ...overrides };
}

function signingKey(kid: string, createdAt: number): SigningKeyRecord {
  const publicJwk = { kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid, alg: 'ES256', use: 'sig' };
  return { kid, alg: 'ES256', privateJwk: { ...publicJwk, d: `d-${kid}` }, publicJwk, createdAt };
}

function session(digest: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { digest, userId: 'u1', authTime: T - MINUTE, expiresAt: T + MINUTE, ...overrides };
}

function request(
  id: string,
  overrides: Partial<AuthorizationRequestRecord> = {},
): AuthorizationRequestRecord {
  return {
    id,
    clientId: 'c1',
    redirectUri: 'http://127.0.0.1/callback',
    redirectUriSent: true,
    scope: ['read', 'write'],
    resources: ['https://api.example/'],
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    browserBindingDigest: `binding-${id}`,
    csrfToken: `csrf-${id}`,
    createdAt: T - MINUTE,
    expiresAt: T + MINUTE,
    ...overrides,
  };
}

function code(digest: string, overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    digest,
    clientId: 'c1',
    userId: 'u1',
    grantId: 'g1',
    redirectUri: 'http://127.0.0.1/callback',
    redirectUriSent: false,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    scope: ['read'],
    resources: ['https://api.example/'],
    authTime: T - MINUTE,
    issuedAt: T - 1000,
    expiresAt: T + MINUTE,
    ...overrides,
  };
}

function grantUpsert(id: string, overrides: Partial<GrantUpsert> = {}): GrantUpsert {
  return {
    id,
    userId: 'u1',
    clientId: 'c1',
    redirectUri: 'http://127.0.0.1/callback',
    scope: ['read'],
    resources: ['https://api.example/'],
    now: T,
    ...overrides,
  };
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function offset(time: number): string {
  const delta = time - T;
  return delta === 0 ? '' : delta > 0 ? `+${delta}` : `${delta}`;
}
