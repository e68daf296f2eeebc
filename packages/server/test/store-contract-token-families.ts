/**
 * The store contract suite, continued: token families: created, read, revoked one by one and per client, tombstones. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import { family, T } from './support/store-records.ts';

export function describeTokenFamilyStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (token families): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
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
  });
}
