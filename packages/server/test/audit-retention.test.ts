/**
 * Audit retention (issue #14, item 6): what is older than the retention goes, in batches, and the
 * purge is audited once by its count; 0 days keeps everything and runs nothing; the job purges at
 * start and then every interval, never two passes at once. Timers are node:test's mock timers.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { auditCutoff, purgeAuditEvents, startAuditRetention } from '../src/audit/audit-retention.ts';
import type { Audit } from '../src/audit/audit-trail.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import type { AuditEvent, Store } from '../src/store/store.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** A memory store with `old` events 31–… days old and `fresh` ones from the last days; an audit into it. */
async function seeded(old: number, fresh: number) {
  const store = createMemoryStore();
  for (let index = 0; index < old; index++)
    await store.audit.append({ at: NOW - 31 * DAY - index, type: 'token.issued' });
  for (let index = 0; index < fresh; index++)
    await store.audit.append({ at: NOW - index * DAY, type: 'login.failed' });
  const audit: Audit = (event) => store.audit.append({ at: NOW, ...event });
  const calls: number[] = [];
  const counted: Store['audit'] = {
    ...store.audit,
    purgeBefore: async (before, limit) => {
      const deleted = await store.audit.purgeBefore(before, limit);
      calls.push(deleted);
      return deleted;
    },
  };
  return { store, audit, counted, calls };
}

const purged = async (store: Store): Promise<AuditEvent[]> => store.audit.list({ type: 'audit.purged' });

describe('audit retention', () => {
  it('the cutoff is now minus the retention; 0 keeps everything; a negative or fractional retention is refused', () => {
    assert.equal(auditCutoff(NOW, 30), NOW - 30 * DAY);
    assert.equal(auditCutoff(NOW, 0), undefined);
    assert.throws(() => auditCutoff(NOW, -1), RangeError);
    assert.throws(() => auditCutoff(NOW, 1.5), RangeError);
  });

  it('deletes what is older than the retention in batches, and audits the purge once with its count', async () => {
    const { store, audit, counted, calls } = await seeded(10, 5);
    const deleted = await purgeAuditEvents(
      { store: counted, audit, clock: () => NOW },
      { retentionDays: 30, batch: 3 },
    );
    assert.equal(deleted, 10);
    assert.deepEqual(calls, [3, 3, 3, 1], 'batches of at most 3, until one comes back short');
    assert.deepEqual(await purged(store), [
      {
        at: NOW,
        type: 'audit.purged',
        actor: 'system:audit-retention',
        detail: { deleted: 10, before: NOW - 30 * DAY, retention_days: 30 },
      },
    ]);
    assert.equal((await store.audit.list({ type: 'login.failed' })).length, 5, 'recent events are kept');
    assert.equal((await store.audit.list({ type: 'token.issued' })).length, 0);
  });

  it('nothing old, nothing audited; 0 days deletes nothing and asks the store nothing', async () => {
    const { store, audit, counted, calls } = await seeded(0, 3);
    assert.equal(
      await purgeAuditEvents({ store: counted, audit, clock: () => NOW }, { retentionDays: 30 }),
      0,
    );
    assert.deepEqual(await purged(store), []);
    const keep = await seeded(4, 0);
    assert.equal(
      await purgeAuditEvents(
        { store: keep.counted, audit: keep.audit, clock: () => NOW },
        { retentionDays: 0 },
      ),
      0,
    );
    assert.deepEqual(keep.calls, []);
    assert.equal((await keep.store.audit.list()).length, 4);
    assert.deepEqual(calls, [0]);
  });

  it('the job purges at start, then every interval; 0 days starts nothing', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      const { store, audit, counted } = await seeded(2, 0);
      const logged: string[] = [];
      const logger = { info: (_: object, message: string) => logged.push(message), error: () => {} };
      let now = NOW;
      const stop = startAuditRetention(
        { store: counted, audit, clock: () => now, logger },
        { retentionDays: 30 },
        3_600_000,
      );
      mock.timers.tick(0);
      await settled();
      assert.equal((await purged(store)).length, 1, 'purged at start');
      assert.deepEqual(logged, ['purged audit events past their retention']);
      // An hour later the events of NOW - 30 d + 30 min have passed the retention.
      await store.audit.append({ at: NOW - 30 * DAY + 1_800_000, type: 'token.issued' });
      now = NOW + 3_600_000;
      mock.timers.tick(3_600_000);
      await settled();
      assert.equal((await purged(store)).length, 2, 'and again an interval later');
      stop();
      await store.audit.append({ at: NOW - 40 * DAY, type: 'token.issued' });
      mock.timers.tick(3_600_000);
      await settled();
      assert.equal((await purged(store)).length, 2, 'stopped');

      const none = await seeded(2, 0);
      const noop = startAuditRetention(
        { store: none.counted, audit: none.audit, clock: () => NOW, logger },
        { retentionDays: 0 },
        3_600_000,
      );
      mock.timers.tick(7_200_000);
      await settled();
      assert.deepEqual(none.calls, []);
      noop();
    } finally {
      mock.timers.reset();
    }
  });

  it('a failing purge is logged, not thrown, and the next interval tries again', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      const { store, audit } = await seeded(3, 0);
      let failures = 1;
      const flaky: Store['audit'] = {
        ...store.audit,
        purgeBefore: async (before, limit) => {
          if (failures-- > 0) throw new Error('database is locked');
          return store.audit.purgeBefore(before, limit);
        },
      };
      const errors: string[] = [];
      const logger = { info: () => {}, error: (_: object, message: string) => errors.push(message) };
      const stop = startAuditRetention(
        { store: flaky, audit, clock: () => NOW, logger },
        { retentionDays: 30 },
        1000,
      );
      mock.timers.tick(0);
      await settled();
      assert.deepEqual(errors, ['audit retention purge failed']);
      mock.timers.tick(1000);
      await settled();
      assert.equal((await purged(store))[0]?.detail?.deleted, 3);
      stop();
    } finally {
      mock.timers.reset();
    }
  });
});

/** Lets the promise chains a timer started run to their end (the memory store never waits on I/O). */
async function settled(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await Promise.resolve();
}
