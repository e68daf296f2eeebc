/**
 * The store contract suite, inventory part (issue #14, src/store/client-inventory-store.ts): the reach
 * (blast radius) of a client, a domain, a software_id or a user, and the connections. Registered by
 * describeInventoryStoreContract (./store-contract-inventory.ts) inside its describe, which opens a
 * fresh, empty store per test; explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Store, TokenFamilyRecord } from '../src/store/store.ts';
import { DAY, familyOf, HOUR, type InventoryContractHarness, T } from './support/inventory-contract.ts';

export function describeInventoryReachContract(harness: InventoryContractHarness): void {
  describe('reach and connections', () => {
    let store: Store;
    beforeEach(() => {
      store = harness.store();
    });
    const NOW = T + DAY;
    /**
     * c1 used by u1 from two installations and by u2 from one; u1 also uses c2; a revoked grant,
     * a revoked, an expired family and a tombstone that count for nothing; two loopback clients.
     */
    async function used(): Promise<void> {
      const grant = async (
        id: string,
        userId: string,
        clientId: string,
        redirectUri: string,
        scope: string[],
      ) =>
        store.grants.upsert({
          id,
          userId,
          clientId,
          redirectUri,
          scope,
          resources: ['https://api.example/'],
          now: T,
        });
      await grant('g1', 'u1', 'c1', 'https://c1.example/a', ['read', 'write']);
      await grant('g2', 'u1', 'c1', 'https://c1.example/b', ['read']);
      await grant('g3', 'u2', 'c1', 'https://c1.example/a', ['read']);
      await grant('g4', 'u1', 'c2', 'https://c2.example/cb', ['admin']);
      await grant('g5', 'u3', 'c1', 'https://c1.example/a', ['read']);
      await store.grants.revoke('g5', 'test', T);
      await grant('g6', 'u4', 'http://localhost?scope=atproto', 'http://127.0.0.1/', ['atproto']);
      await grant('g7', 'u5', 'http://localhost', 'http://127.0.0.1/', ['atproto']);
      const live = (id: string, grantId: string, overrides: Partial<TokenFamilyRecord> = {}) =>
        store.tokenFamilies.create(familyOf(id, grantId, overrides));
      await live('f1', 'g1', { createdAt: T + 1 });
      await live('f2', 'g1', { createdAt: T + 2 });
      await live('f3', 'g3');
      await live('f4', 'g4', { clientId: 'c2' });
      await live('f5', 'g2', { expiresAt: NOW });
      await live('f6', 'g2');
      await store.tokenFamilies.revoke('f6', 'test', T);
      await store.tokenFamilies.revoke('f7-tombstone', 'test', T);
      await live('f8', 'g6', { clientId: 'http://localhost?scope=atproto', userId: 'u4' });
      const issued = (clientId: string, userId: string, at: number) =>
        store.audit.append({ at, type: 'token.issued', clientId, userId });
      await issued('c1', 'u1', NOW - 2 * DAY);
      await issued('c1', 'u1', NOW - 2 * HOUR);
      await issued('c1', 'u2', NOW - 10 * 60_000);
      await issued('c2', 'u1', NOW - 5 * 60_000);
      await issued('http://localhost?scope=atproto', 'u4', NOW - 60_000);
      await store.audit.append({ at: NOW - 60_000, type: 'token.refused', clientId: 'c1', userId: 'u1' });
    }

    it('counts exactly for clients: users, installations, grants, scopes, resources, live families, tokens', async () => {
      await used();
      const figures = await store.inventory.reach(
        { clientIds: ['c1'], loopback: false },
        { now: NOW, issuedSince: [NOW - HOUR, NOW - DAY, NOW - 7 * DAY] },
      );
      assert.deepEqual(figures, {
        users: 2,
        clients: 1,
        grants: 3,
        installations: 2,
        scopes: [
          { value: 'read', grants: 3 },
          { value: 'write', grants: 1 },
        ],
        resources: [{ value: 'https://api.example/', grants: 3 }],
        liveFamilies: 3,
        tokensIssued: [1, 2, 3],
        lastTokenAt: NOW - 10 * 60_000,
      });
      const both = await store.inventory.reach(
        { clientIds: ['c1', 'c2'], loopback: false },
        { now: NOW, issuedSince: [NOW - HOUR] },
      );
      assert.equal(both.clients, 2);
      assert.equal(both.grants, 4);
      assert.equal(both.liveFamilies, 4);
      assert.deepEqual(both.tokensIssued, [2]);
    });

    it('counts the AT Protocol loopback client_ids as one selection, and a user across clients', async () => {
      await used();
      const loopback = await store.inventory.reach(
        { clientIds: [], loopback: true },
        { now: NOW, issuedSince: [NOW - HOUR] },
      );
      assert.equal(loopback.users, 2);
      assert.equal(loopback.clients, 2);
      assert.equal(loopback.liveFamilies, 1);
      assert.deepEqual(loopback.tokensIssued, [1]);
      const user = await store.inventory.reach({ userId: 'u1' }, { now: NOW, issuedSince: [NOW - DAY] });
      assert.deepEqual(
        { ...user, scopes: user.scopes.map((held) => held.value) },
        {
          users: 1,
          clients: 2,
          grants: 3,
          installations: 3,
          scopes: ['admin', 'read', 'write'],
          resources: [{ value: 'https://api.example/', grants: 3 }],
          liveFamilies: 3,
          tokensIssued: [2],
          lastTokenAt: NOW - 5 * 60_000,
        },
      );
      const nobody = await store.inventory.reach({ userId: 'nobody' }, { now: NOW, issuedSince: [0] });
      assert.deepEqual(nobody, {
        users: 0,
        clients: 0,
        grants: 0,
        installations: 0,
        scopes: [],
        resources: [],
        liveFamilies: 0,
        tokensIssued: [0],
      });
    });

    it("lists a user's and a client's live grants with their live sessions", async () => {
      await used();
      const ofUser = await store.inventory.connections({ userId: 'u1' }, NOW);
      assert.deepEqual(
        ofUser.map(({ grant, liveFamilies, lastFamilyAt }) => [
          grant.id,
          grant.clientId,
          liveFamilies,
          lastFamilyAt,
        ]),
        [
          ['g1', 'c1', 2, T + 2],
          ['g2', 'c1', 0, undefined],
          ['g4', 'c2', 1, T],
        ],
      );
      assert.equal('lastFamilyAt' in ofUser[1]!, false, 'absent, not undefined');
      assert.deepEqual(ofUser[0]!.grant, await store.grants.get('g1'));
      const ofClient = await store.inventory.connections({ clientIds: ['c1'], loopback: false }, NOW);
      assert.deepEqual(
        ofClient.map(({ grant }) => [grant.userId, grant.redirectUri]),
        [
          ['u1', 'https://c1.example/a'],
          ['u1', 'https://c1.example/b'],
          ['u2', 'https://c1.example/a'],
        ],
      );
      const loopback = await store.inventory.connections({ clientIds: [], loopback: true }, NOW);
      assert.deepEqual(
        loopback.map(({ grant }) => grant.id),
        ['g6', 'g7'],
      );
    });
  });
}
