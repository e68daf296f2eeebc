/**
 * The store contract suite, continued: pushed and interactive authorization requests and authorization codes, taken exactly once, and what removing their client does to them. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../src/store/store.ts';
import {
  authorizationCode,
  authorizationRequest,
  CONCURRENCY,
  MINUTE,
  offset,
  range,
  T,
} from './support/store-records.ts';

export function describeAuthorizationRequestStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
): void {
  describe(`store contract (authorization requests and codes): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('authorization requests', () => {
      it('round-trips a record with and without its optional fields', async () => {
        const full = authorizationRequest('r1', {
          state: 'xyz',
          prompt: 'consent',
          maxAge: 300,
          loginHint: 'alice',
          // RFC 9449 §10: the DPoP key a pushed or pending request binds its code to.
          dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
        });
        const bare = authorizationRequest('r2');
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
          const record = authorizationRequest('r1', { expiresAt });
          await store.authorizationRequests.create(record);
          assert.deepEqual(await store.authorizationRequests.get('r1', T), live ? record : undefined);
          assert.deepEqual(await store.authorizationRequests.consume('r1', T), live ? record : undefined);
        });
      }

      it('consume returns the record once and removes it', async () => {
        const record = authorizationRequest('r1');
        await store.authorizationRequests.create(record);
        assert.deepEqual(await store.authorizationRequests.consume('r1', T), record);
        assert.equal(await store.authorizationRequests.consume('r1', T), undefined);
        assert.equal(await store.authorizationRequests.get('r1', T), undefined);
        assert.equal(await store.authorizationRequests.consume('unknown', T), undefined);
      });

      it(`of ${CONCURRENCY} concurrent consumes, exactly one gets the record`, async () => {
        await store.authorizationRequests.create(authorizationRequest('r1'));
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.authorizationRequests.consume('r1', T)),
        );
        assert.equal(results.filter((result) => result !== undefined).length, 1);
      });
    });

    describe('authorization requests of a removed client', () => {
      it('deleteByClient removes pending and pushed requests of the client alike, counting them', async () => {
        const removed = [
          authorizationRequest('r1'),
          authorizationRequest('par:p1'),
          authorizationRequest('r2', { expiresAt: T - 1 }),
        ];
        const kept = authorizationRequest('r3', { clientId: 'c2' });
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
        await store.authorizationCodes.create(authorizationCode('d1'));
        assert.deepEqual(await store.authorizationCodes.redeem('d1', 'f1', T), {
          outcome: 'redeemed',
          code: { ...authorizationCode('d1'), redeemedAt: T, familyId: 'f1' },
        });
      });

      it('round-trips the DPoP key binding (RFC 9449 §10); a code without one stays without', async () => {
        const bound = authorizationCode('d1', { dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
        await store.authorizationCodes.create(bound);
        await store.authorizationCodes.create(authorizationCode('d2'));
        assert.deepEqual(await store.authorizationCodes.redeem('d1', 'f1', T), {
          outcome: 'redeemed',
          code: { ...bound, redeemedAt: T, familyId: 'f1' },
        });
        const unbound = await store.authorizationCodes.redeem('d2', 'f2', T);
        assert.deepEqual(unbound, {
          outcome: 'redeemed',
          code: { ...authorizationCode('d2'), redeemedAt: T, familyId: 'f2' },
        });
        assert.equal(
          unbound.outcome === 'redeemed' && 'dpopJkt' in unbound.code,
          false,
          'absent, not undefined',
        );
      });

      it("every later redeem is reused, with the winner's redeemedAt and familyId", async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.authorizationCodes.redeem('d1', 'f1', T);
        for (const [familyId, now] of [
          ['f2', T + 1],
          ['f3', T + 10 * MINUTE],
        ] as const) {
          assert.deepEqual(await store.authorizationCodes.redeem('d1', familyId, now), {
            outcome: 'reused',
            code: { ...authorizationCode('d1'), redeemedAt: T, familyId: 'f1' },
          });
        }
      });

      it('redeem ignores expiry: an expired code is still burnt by the attempt', async () => {
        await store.authorizationCodes.create(authorizationCode('d1', { expiresAt: T - MINUTE }));
        assert.equal((await store.authorizationCodes.redeem('d1', 'f1', T)).outcome, 'redeemed');
        assert.equal((await store.authorizationCodes.redeem('d1', 'f2', T)).outcome, 'reused');
      });

      it(`of ${CONCURRENCY} concurrent redeems, exactly one wins and the rest see its familyId`, async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
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
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.authorizationCodes.create(authorizationCode('d2'));
        await store.authorizationCodes.create(authorizationCode('d3'));
        await store.authorizationCodes.create(authorizationCode('d4', { clientId: 'c2' }));
        await store.authorizationCodes.redeem('d3', 'f3', T);

        assert.equal(await store.authorizationCodes.deleteByClient('c1'), 2);
        assert.equal(await store.authorizationCodes.deleteByClient('c1'), 0);

        assert.deepEqual(await store.authorizationCodes.redeem('d1', 'f1', T), { outcome: 'unknown' });
        assert.deepEqual(await store.authorizationCodes.redeem('d2', 'f2', T), { outcome: 'unknown' });
        assert.deepEqual(await store.authorizationCodes.redeem('d3', 'f-late', T + 1), {
          outcome: 'reused',
          code: { ...authorizationCode('d3'), redeemedAt: T, familyId: 'f3' },
        });
        assert.equal((await store.authorizationCodes.redeem('d4', 'f4', T)).outcome, 'redeemed');
      });
    });
  });
}
