/**
 * The store contract suite, continued: the installations a reach counts (decision 0044,
 * src/grants/installation.ts). An https redirect names its installation; a loopback or private-use
 * redirect is shared by every machine running the app, so there each DPoP key (else each live
 * refresh family) is one, and a grant without a live session is one by itself. Every backend
 * counts the keys `installationsOf` gives, across grants: run from describeInventoryStoreContract,
 * so by memory, SQLite and PostgreSQL alike.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { installationsOf } from '../src/grants/installation.ts';
import type { Store, TokenFamilyRecord } from '../src/store/store.ts';

const T = 1_750_000_000_000;
const DAY = 24 * 3_600_000;
const NOW = T + DAY;
const LOOPBACK = 'http://127.0.0.1/callback';
const PRIVATE_USE = 'com.example.app:/callback';
const WEB = 'https://web.example/callback';

export function describeInstallationCountContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (installation count): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /**
     * A loopback client: u1 on a laptop (signed in twice) and a desktop, u2 without DPoP on one
     * machine (a revoked sign-in besides), u3 with no live session; a private-use client on a
     * phone; a web client with two DPoP-bound sessions behind its one https redirect.
     */
    async function used(): Promise<void> {
      const grant = (id: string, userId: string, clientId: string, redirectUri: string) =>
        store.grants.upsert({ id, userId, clientId, redirectUri, scope: ['read'], resources: [], now: T });
      const family = (id: string, grantId: string, clientId: string, userId: string, dpopJkt?: string) =>
        store.tokenFamilies.create({
          id,
          grantId,
          clientId,
          userId,
          scope: ['read'],
          resources: [],
          authTime: T,
          createdAt: T,
          expiresAt: T + 30 * DAY,
          ...(dpopJkt === undefined ? {} : { dpopJkt }),
        } satisfies TokenFamilyRecord);
      await grant('gA', 'u1', 'cli', LOOPBACK);
      await family('fA1', 'gA', 'cli', 'u1', 'laptop-jkt');
      await family('fA2', 'gA', 'cli', 'u1', 'desktop-jkt');
      await family('fA3', 'gA', 'cli', 'u1', 'laptop-jkt');
      await grant('gB', 'u2', 'cli', LOOPBACK);
      await family('fB1', 'gB', 'cli', 'u2');
      await family('fB2', 'gB', 'cli', 'u2');
      await store.tokenFamilies.revoke('fB2', 'test', T);
      await grant('gC', 'u3', 'cli', LOOPBACK);
      await grant('gD', 'u1', 'app', PRIVATE_USE);
      await family('fD1', 'gD', 'app', 'u1', 'phone-jkt');
      await grant('gE', 'u1', 'web', WEB);
      await family('fE1', 'gE', 'web', 'u1', 'browser-1-jkt');
      await family('fE2', 'gE', 'web', 'u1', 'browser-2-jkt');
    }
    const installations = async (selection: Parameters<Store['inventory']['reach']>[0]) =>
      (await store.inventory.reach(selection, { now: NOW, issuedSince: [] })).installations;

    it('counts two machines of one loopback client under one grant as two installations', async () => {
      await used();
      // gA: laptop and desktop; gB: its one live family; gC: no session, one by itself.
      assert.equal(await installations({ clientIds: ['cli'], loopback: false }), 4);
      assert.equal(
        (await store.inventory.reach({ clientIds: ['cli'], loopback: false }, { now: NOW, issuedSince: [] }))
          .grants,
        3,
      );
      // A private-use redirect is shared by machines too; an https one names its installation.
      assert.equal(await installations({ clientIds: ['app'], loopback: false }), 1);
      assert.equal(await installations({ clientIds: ['web'], loopback: false }), 1);
      assert.equal(await installations({ clientIds: ['cli', 'app', 'web'], loopback: false }), 6);
      assert.equal(await installations({ userId: 'u1' }), 4);
    });

    it('counts what the connections list: the keys installationsOf gives each live grant', async () => {
      await used();
      const keys = new Set<string>();
      for (const { grant } of await store.inventory.connections(
        { clientIds: ['cli', 'app', 'web'], loopback: false },
        NOW,
      )) {
        const live = (await store.tokenFamilies.listByGrant(grant.id)).filter(
          (family) => family.revokedAt === undefined && family.expiresAt > NOW,
        );
        for (const installation of installationsOf(grant, live)) keys.add(installation.key);
      }
      assert.equal(keys.size, await installations({ clientIds: ['cli', 'app', 'web'], loopback: false }));
    });

    it('stops counting a machine whose sessions ended, and counts the grant it leaves once', async () => {
      await used();
      await store.tokenFamilies.revoke('fA2', 'installation_revoked', T);
      assert.equal(await installations({ userId: 'u1' }), 3, 'the desktop is gone');
      await store.tokenFamilies.revoke('fA1', 'installation_revoked', T);
      await store.tokenFamilies.revoke('fA3', 'installation_revoked', T);
      // gA holds no session now: one installation by itself, as gC is; they share the redirect's key.
      assert.equal(await installations({ clientIds: ['cli'], loopback: false }), 2);
    });
  });
}
