/**
 * The store contract suite, continued: clients (put, replace, list, remove) and users (create, lookups, updates, disabling). Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import { CONCURRENCY, client, MINUTE, range, T, user } from './support/store-records.ts';

export function describeClientAndUserStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (clients and users): ${name}`, () => {
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
  });
}
