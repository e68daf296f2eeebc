/**
 * Group commit in the SQLite store (sqlite/group-commit.ts): the writes on the request paths that
 * are issued in one event-loop turn run in one transaction, and each promise settles only after its
 * COMMIT. These tests pin what that must not change: every caller gets its own result or error, a
 * failing write fails alone, nothing is acknowledged before another connection can read it, and a
 * clean stop commits what is still queued (AuditStore: "never loses an event it resolved for").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { RefreshTokenRecord, Store, TokenFamilyRecord } from '../src/store/store.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-group-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(directory, `group-${++files}.db`);

const T = 1_750_000_000_000;
const MINUTE = 60_000;

const family = (id: string): TokenFamilyRecord => ({
  id,
  grantId: 'g1',
  clientId: 'c1',
  userId: 'u1',
  scope: ['read'],
  resources: [],
  authTime: T,
  createdAt: T,
  expiresAt: T + 60 * MINUTE,
});
const refresh = (digest: string, familyId = 'f1'): RefreshTokenRecord => ({
  digest,
  familyId,
  issuedAt: T,
  expiresAt: T + 60 * MINUTE,
});

async function withStores(body: (store: Store, other: Store) => Promise<void>): Promise<void> {
  const path = freshPath();
  const store = openSqliteStore({ path });
  const other = openSqliteStore({ path });
  try {
    await body(store, other);
  } finally {
    await store.close();
    await other.close();
  }
}

/** No grace: a second presentation is a reuse (RefreshTokenStore.rotate). */
const STRICT = { graceMs: 0, reuseCount: 0 };

describe('sqlite group commit', () => {
  it('writes of one turn each get their own result, committed before they resolve', async () => {
    await withStores(async (store, other) => {
      // Each key twice in the same turn: exactly one of each pair wins, as without batching.
      const keys = Array.from({ length: 10 }, (_, index) => `dpop:jkt:${index}`);
      const remembered = await Promise.all(
        [...keys, ...keys].map((key) => store.replay.remember(key, T + MINUTE, T)),
      );
      assert.deepEqual(remembered, [...keys.map(() => true), ...keys.map(() => false)]);
      await Promise.all(
        keys.map((key, index) => store.audit.append({ at: T + index, type: 'token.issued', reason: key })),
      );
      // Another connection (as another process would) sees every acknowledged write.
      for (const key of keys) assert.equal(await other.replay.has(key, T), true);
      assert.equal((await other.audit.list({ type: 'token.issued' })).length, keys.length);
    });
  });

  it('a failing write fails alone, a failed rotation leaves nothing behind; the others of its turn commit', async () => {
    await withStores(async (store, other) => {
      await store.tokenFamilies.create(family('f1'));
      await store.refreshTokens.create(refresh('r1'));
      await store.refreshTokens.create(refresh('r2'));
      await store.refreshTokens.create(refresh('taken'));

      const [duplicate, badRotation, goodRotation, audited] = await Promise.allSettled([
        store.refreshTokens.create(refresh('r1')), // primary key taken
        store.refreshTokens.rotate('r1', refresh('taken'), T + 1, STRICT), // its INSERT fails mid-rotation
        store.refreshTokens.rotate('r2', refresh('r3'), T + 1, STRICT),
        store.audit.append({ at: T, type: 'token.issued' }),
      ]);
      assert.equal(duplicate.status, 'rejected');
      assert.equal(badRotation.status, 'rejected');
      assert.equal(goodRotation.status, 'fulfilled');
      assert.equal(goodRotation.value.outcome, 'rotated');
      assert.equal(audited.status, 'fulfilled');

      // The failed rotation left nothing behind: r1 is still unused and can rotate later.
      assert.equal((await other.refreshTokens.get('r1'))?.usedAt, undefined);
      assert.equal((await other.refreshTokens.get('r2'))?.usedAt, T + 1);
      assert.equal((await other.refreshTokens.get('r3'))?.familyId, 'f1');
      assert.equal((await other.audit.list()).length, 1);
      assert.equal((await store.refreshTokens.rotate('r1', refresh('r4'), T + 2, STRICT)).outcome, 'rotated');
    });
  });

  it('a family created twice in one turn: one succeeds, one fails, as without batching', async () => {
    await withStores(async (store, other) => {
      const results = await Promise.allSettled([
        store.tokenFamilies.create(family('f2')),
        store.tokenFamilies.create(family('f2')),
      ]);
      assert.deepEqual(
        results.map((result) => result.status),
        ['fulfilled', 'rejected'],
      );
      assert.equal((await other.tokenFamilies.get('f2'))?.id, 'f2');
    });
  });

  it('close commits writes still queued; writes after close fail instead of hanging', async () => {
    const path = freshPath();
    const store = openSqliteStore({ path });
    const pending = store.audit.append({ at: T, type: 'server.stopping' }); // not awaited before close
    await store.close();
    await pending;
    await assert.rejects(store.audit.append({ at: T, type: 'too.late' }));

    const reopened = openSqliteStore({ path });
    assert.deepEqual(
      (await reopened.audit.list()).map((event) => event.type),
      ['server.stopping'],
    );
    await reopened.close();
  });
});
