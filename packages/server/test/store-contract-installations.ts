/**
 * The store contract suite, continued: what installations are read from (issue #17, decision
 * 0044): a grant's token families. Every Store implementation runs it (memory-store.test.ts,
 * sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with the conventions of
 * ./store-contract.ts: a fresh, empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';
import { family } from './support/store-records.ts';

const T = 1_750_000_000_000;

export function describeInstallationStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  _options: StoreContractOptions = {},
): void {
  describe(`store contract (installations): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('token families by grant', () => {
      it('lists the families of one grant, revoked ones too, by creation then id; never a tombstone', async () => {
        await store.tokenFamilies.create(family('f2', { createdAt: T + 1, dpopJkt: 'key-a' }));
        await store.tokenFamilies.create(family('f1', { createdAt: T + 1 }));
        await store.tokenFamilies.create(family('f0', { createdAt: T }));
        await store.tokenFamilies.create(family('other', { grantId: 'g2' }));
        await store.tokenFamilies.revoke('f0', 'installation_revoked', T + 2);
        await store.tokenFamilies.revoke('tombstone', 'code_reused', T + 2);
        const listed = await store.tokenFamilies.listByGrant('g1');
        assert.deepEqual(
          listed.map((found) => [found.id, found.revokedReason ?? null, found.dpopJkt ?? null]),
          [
            ['f0', 'installation_revoked', null],
            ['f1', null, null],
            ['f2', null, 'key-a'],
          ],
        );
        assert.deepEqual(await store.tokenFamilies.listByGrant('g3'), []);
      });
    });

    describe('tokens a client holds for itself', () => {
      it('revokeClientTokens marks them revoked until a time, moving only forward, kept until it expires', async () => {
        const families = store.tokenFamilies;
        assert.equal(await families.clientTokensRevokedUntil('c1', T), undefined);
        await families.revokeClientTokens('c1', T + 10, T + 1000);
        assert.equal(await families.clientTokensRevokedUntil('c1', T + 20), T + 10);
        assert.equal(await families.clientTokensRevokedUntil('c2', T + 20), undefined, 'per client');
        await families.revokeClientTokens('c1', T + 5, T + 500);
        assert.equal(await families.clientTokensRevokedUntil('c1', T + 20), T + 10, 'never moves back');
        await families.revokeClientTokens('c1', T + 30, T + 2000);
        assert.equal(await families.clientTokensRevokedUntil('c1', T + 1500), T + 30);
        assert.equal(await families.clientTokensRevokedUntil('c1', T + 2000), undefined, 'expired');
        await store.purgeExpired(T + 2000);
        await families.revokeClientTokens('c1', T + 2100, T + 3000);
        assert.equal(
          await families.clientTokensRevokedUntil('c1', T + 2200),
          T + 2100,
          'a fresh mark after the purge',
        );
      });
    });
  });
}
