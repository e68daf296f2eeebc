/**
 * The store contract suite, continued: purgeExpired: what expires goes, what lives stays, in batches that yield. Every Store implementation runs it
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
  MINUTE,
  range,
  refreshToken,
  session,
  T,
} from './support/store-records.ts';

export function describePurgeStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (purgeExpired): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('purgeExpired', () => {
      it('deletes expired codes, requests, sessions, refresh tokens and replay entries, keeping live ones', async () => {
        for (const [suffix, expiresAt] of [
          ['expired', T - 1],
          ['live', T + MINUTE],
        ] as const) {
          await store.sessions.create(session(`s-${suffix}`, { expiresAt }));
          await store.authorizationRequests.create(authorizationRequest(`r-${suffix}`, { expiresAt }));
          await store.authorizationCodes.create(authorizationCode(`d-${suffix}`, { expiresAt }));
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
          await store.authorizationRequests.create(authorizationRequest(`old-${i}`, { expiresAt }));
        await store.authorizationRequests.create(authorizationRequest('live', { expiresAt: T + MINUTE }));

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
  });
}
