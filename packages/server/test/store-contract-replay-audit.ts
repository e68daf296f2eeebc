/**
 * The store contract suite, continued: the replay store (a key used once across instances) and the audit log with its actor. Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts, through
 * ./store-contract.ts) with its conventions: a fresh, empty store per test, explicit times around
 * T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditEvent, Store } from '../src/store/store.ts';
import { CONCURRENCY, MINUTE, offset, range, T } from './support/store-records.ts';

export function describeReplayAndAuditStoreContract(name: string, open: () => Promise<Store> | Store): void {
  describe(`store contract (replay and audit): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('replay', () => {
      it('remember is true once for a key, then false while the entry lives', async () => {
        assert.equal(await store.replay.remember('jti-1', T + MINUTE, T), true);
        assert.equal(await store.replay.remember('jti-1', T + 2 * MINUTE, T + 1), false);
        assert.equal(await store.replay.remember('jti-2', T + MINUTE, T + 1), true);
      });

      for (const { now, live } of [
        { now: T + MINUTE - 1, live: true },
        { now: T + MINUTE, live: false },
        { now: T + MINUTE + 1, live: false },
      ]) {
        it(`at T${offset(now)} an entry expiring at T+${MINUTE} is ${live ? 'live' : 'expired'}`, async () => {
          await store.replay.remember('jti-1', T + MINUTE, T);
          assert.equal(await store.replay.has('jti-1', now), live);
          // Once expired, the key can be remembered again (and is then live until its new expiry).
          assert.equal(await store.replay.remember('jti-1', now + MINUTE, now), !live);
          assert.equal(await store.replay.has('jti-1', now), true);
        });
      }

      it('has is false for a key never remembered', async () => {
        assert.equal(await store.replay.has('unknown', T), false);
      });

      it(`of ${CONCURRENCY} concurrent remembers of one key, exactly one is true`, async () => {
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.replay.remember('jti-1', T + MINUTE, T)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });
    });

    describe('audit', () => {
      const events: AuditEvent[] = [
        {
          at: T + 1,
          type: 'token.issued',
          clientId: 'c1',
          userId: 'u1',
          detail: { grant_type: 'authorization_code' },
        },
        { at: T + 3, type: 'login.failed', userId: 'u2', reason: 'bad_password' },
        { at: T + 2, type: 'token.issued', clientId: 'c2', userId: 'u2' },
        {
          at: T + 3,
          type: 'code.reused',
          clientId: 'c1',
          reason: 'code_reused',
          detail: { family_id: 'f1', n: 1 },
        },
        { at: T + 4, type: 'client.added' },
      ];

      it('list is newest first (same millisecond: last appended first), fields intact', async () => {
        for (const event of events) await store.audit.append(event);
        assert.deepEqual(await store.audit.list(), [events[4], events[3], events[1], events[2], events[0]]);
      });

      const filters: { options: Parameters<Store['audit']['list']>[0]; expected: number[] }[] = [
        { options: { type: 'token.issued' }, expected: [2, 0] },
        { options: { clientId: 'c1' }, expected: [3, 0] },
        { options: { userId: 'u2' }, expected: [1, 2] },
        { options: { type: 'token.issued', userId: 'u2' }, expected: [2] },
        { options: { limit: 2 }, expected: [4, 3] },
        { options: { clientId: 'c1', limit: 1 }, expected: [3] },
        { options: { type: 'nothing' }, expected: [] },
      ];
      for (const { options, expected } of filters) {
        it(`list(${JSON.stringify(options)}) filters and limits`, async () => {
          for (const event of events) await store.audit.append(event);
          assert.deepEqual(
            await store.audit.list(options),
            expected.map((index) => events[index]),
          );
        });
      }
    });

    describe('audit actor', () => {
      const events: AuditEvent[] = [
        { at: T + 1, type: 'client.removed', clientId: 'c1', actor: 'cli:alice' },
        { at: T + 2, type: 'token.issued', clientId: 'c1', userId: 'u1' },
        { at: T + 3, type: 'client.reaped', clientId: 'c2', actor: 'system:reaper' },
        { at: T + 4, type: 'client.updated', clientId: 'c3', actor: 'cli:alice', reason: 'metadata' },
      ];

      it('round-trips the actor; an event without one stays without', async () => {
        for (const event of events) await store.audit.append(event);
        const listed = await store.audit.list();
        assert.deepEqual(listed, [events[3], events[2], events[1], events[0]]);
        assert.equal('actor' in listed[2]!, false, 'absent, not undefined');
      });

      it('list({ actor }) filters by actor, with the other filters and the limit', async () => {
        for (const event of events) await store.audit.append(event);
        assert.deepEqual(await store.audit.list({ actor: 'cli:alice' }), [events[3], events[0]]);
        assert.deepEqual(await store.audit.list({ actor: 'cli:alice', limit: 1 }), [events[3]]);
        assert.deepEqual(await store.audit.list({ actor: 'cli:alice', clientId: 'c1' }), [events[0]]);
        assert.deepEqual(await store.audit.list({ actor: 'system:reaper' }), [events[2]]);
        assert.deepEqual(await store.audit.list({ actor: 'nobody' }), []);
      });
    });
  });
}
