/**
 * The store contract suite, continued: the server's signing keys and secrets, and browser sessions. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import { CONCURRENCY, offset, range, session, signingKey, T } from './support/store-records.ts';

export function describeKeyAndSessionStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (keys and sessions): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
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
  });
}
