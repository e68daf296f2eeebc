/**
 * The store contract suite, continued: dynamic registrations (RFC 7591/7592) and initial access tokens. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ClientRecord, InitialAccessTokenRecord, Store } from '../src/store/store.ts';
import { CONCURRENCY, client, MINUTE, range, T } from './support/store-records.ts';

export function describeRegistrationStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (registrations): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
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
  });
}
