/**
 * The store contract suite: every Store implementation (memory, SQLite, PostgreSQL) runs exactly
 * this, so the concurrency contracts written on the interfaces in src/store/*.ts are tested once and
 * mean the same everywhere. Each test gets a fresh, empty store from `open` and closes it after.
 * The records' own contracts live one concept to a file (./store-contract-*.ts); this one runs
 * them, then the two contracts every record shares: what a store returns is a copy, and a create
 * never overwrites a taken key.
 *
 * Times are explicit epoch milliseconds around T; nothing here reads the clock. The "concurrent"
 * cases fire many calls at one store with Promise.all; real cross-process races are tested per
 * implementation (see sqlite-store.test.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditEvent, Store } from '../src/store/store.ts';
import { describeAuthorizationRequestStoreContract } from './store-contract-authorization-requests.ts';
import { describeClientDocumentStoreContract } from './store-contract-client-documents.ts';
import { describeClientAndUserStoreContract } from './store-contract-clients-users.ts';
import { describeGrantStoreContract } from './store-contract-grants.ts';
import { describeKeyAndSessionStoreContract } from './store-contract-keys-sessions.ts';
import { describePurgeStoreContract } from './store-contract-purge.ts';
import { describeRegistrationStoreContract } from './store-contract-registrations.ts';
import { describeReplayAndAuditStoreContract } from './store-contract-replay-audit.ts';
import { describeTokenFamilyStoreContract } from './store-contract-token-families.ts';
import {
  authorizationCode,
  authorizationRequest,
  family,
  grantUpsert,
  refreshToken,
  session,
  T,
} from './support/store-records.ts';

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
  describeClientAndUserStoreContract(name, open);
  describeKeyAndSessionStoreContract(name, open);
  describeAuthorizationRequestStoreContract(name, open);
  describeGrantStoreContract(name, open);
  describeTokenFamilyStoreContract(name, open);
  describeRegistrationStoreContract(name, open);
  describeClientDocumentStoreContract(name, open, options);
  describeReplayAndAuditStoreContract(name, open);
  describePurgeStoreContract(name, open);

  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
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
            const created = authorizationCode('d1');
            await s.authorizationCodes.create(created);
            created.scope.push('admin');
            const result = await s.authorizationCodes.redeem('d1', 'f1', T);
            if (result.outcome === 'unknown') assert.fail('created code is unknown');
            result.code.scope.push('admin');
            result.code.familyId = 'f-evil';
            const again = await s.authorizationCodes.redeem('d1', 'f2', T);
            assert.deepEqual(again, {
              outcome: 'reused',
              code: { ...authorizationCode('d1'), redeemedAt: T, familyId: 'f1' },
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
        {
          what: 'authorization request',
          create: (s) => s.authorizationRequests.create(authorizationRequest('k')),
        },
        { what: 'authorization code', create: (s) => s.authorizationCodes.create(authorizationCode('k')) },
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
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.authorizationCodes.redeem('d1', 'f1', T);
        await assert.rejects(store.authorizationCodes.create(authorizationCode('d1')));
        assert.equal((await store.authorizationCodes.redeem('d1', 'f2', T)).outcome, 'reused');
      });
    });
  });
}
