/**
 * The audit query (issue #14, item 6) that `gatehouse audit` and the admin API share: times as an
 * operator writes them, account names resolved, cursors that round-trip and refuse forgeries,
 * and a stream that reads the store one page at a time, only as far as it is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOAuthError } from '@gatehouse-oauth/core';
import {
  createAuditQuery,
  decodeAuditCursor,
  encodeAuditCursor,
  parseAuditTime,
} from '../src/audit/audit-query.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import type { AuditStore } from '../src/store/store.ts';

const T = Date.UTC(2026, 10, 23, 12, 0, 0);

/** The refusal's reason and status, or a failure if it did not refuse. */
async function refusal(run: () => unknown): Promise<{ reason: string | undefined; status: number }> {
  try {
    await run();
  } catch (error) {
    if (isOAuthError(error)) return { reason: error.reason, status: error.status };
    throw error;
  }
  assert.fail('not refused');
}

describe('audit query: times', () => {
  const accepted: [string, number][] = [
    ['2026-11-23', Date.UTC(2026, 10, 23)],
    ['2026-11-23T12:00:00Z', T],
    ['2026-11-23T12:00Z', T],
    ['2026-11-23t12:00:00z', T],
    ['2026-11-23T12:00:00.250Z', T + 250],
    ['2026-11-23T14:00:00+02:00', T],
    ['2026-11-23T07:30:00-04:30', T],
    ['2028-02-29', Date.UTC(2028, 1, 29)],
  ];
  for (const [text, at] of accepted)
    it(`reads ${text}`, () => {
      assert.equal(parseAuditTime(text, 'since'), at);
    });

  const refused = [
    '2026-11-23T12:00:00', // no zone: whose local time?
    '2026-11-23 12:00:00Z',
    '2026-02-30',
    '2026-02-29',
    '2026-13-01',
    '2026-1-1',
    '1795435200000',
    'yesterday',
    '',
  ];
  for (const text of refused)
    it(`refuses ${JSON.stringify(text)} (audit_time_invalid)`, async () => {
      assert.deepEqual(await refusal(() => parseAuditTime(text, 'until')), {
        reason: 'audit_time_invalid',
        status: 400,
      });
    });
});

describe('audit query: cursors', () => {
  it('round-trip a position, and are opaque', () => {
    const position = { at: T, seq: 123_456 };
    const cursor = encodeAuditCursor(position);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.doesNotMatch(cursor, new RegExp(String(T)));
    assert.deepEqual(decodeAuditCursor(cursor), position);
  });

  for (const cursor of [
    '',
    'x',
    encodeAuditCursor({ at: T, seq: 1 }).slice(0, -3),
    Buffer.from('1.2.3').toString('base64url'),
    Buffer.from('-1.2').toString('base64url'),
    Buffer.from('99999999999999999.1').toString('base64url'),
  ])
    it(`refuses the cursor ${JSON.stringify(cursor)} (audit_cursor_invalid)`, async () => {
      assert.deepEqual(await refusal(() => decodeAuditCursor(cursor)), {
        reason: 'audit_cursor_invalid',
        status: 400,
      });
    });
});

describe('audit query: filters', () => {
  async function query() {
    const store = createMemoryStore();
    await store.users.create({ id: 'user-alice', username: 'alice', passwordHash: 'x', createdAt: T });
    return createAuditQuery({ audit: store.audit, users: store.users });
  }

  it('reads each filter as written, leaves out what is not given, and resolves an account name', async () => {
    const q = await query();
    assert.deepEqual(await q.filter({}), {});
    assert.deepEqual(
      await q.filter({
        clientId: 'app',
        user: 'alice',
        type: 'token.issued',
        actor: 'cli:bob',
        since: '2026-11-23',
        until: '2026-11-24T00:00:00+00:00',
      }),
      {
        clientId: 'app',
        userId: 'user-alice',
        type: 'token.issued',
        actor: 'cli:bob',
        since: Date.UTC(2026, 10, 23),
        until: Date.UTC(2026, 10, 24),
      },
    );
    assert.deepEqual(await q.filter({ userId: 'user-removed' }), { userId: 'user-removed' });
    assert.deepEqual(await q.filter({ user: 'alice', userId: 'user-alice' }), { userId: 'user-alice' });
    assert.deepEqual(await q.filter({ since: '2026-11-23', until: '2026-11-23' }), {
      since: Date.UTC(2026, 10, 23),
      until: Date.UTC(2026, 10, 23),
    });
  });

  it('refuses an unknown account (404), a name and an id of two accounts, and a range that ends before it starts', async () => {
    const q = await query();
    assert.deepEqual(await refusal(() => q.filter({ user: 'nobody' })), {
      reason: 'user_not_found',
      status: 404,
    });
    assert.deepEqual(await refusal(() => q.filter({ user: 'alice', userId: 'user-bob' })), {
      reason: 'audit_filter_conflict',
      status: 400,
    });
    assert.deepEqual(await refusal(() => q.filter({ since: '2026-11-24', until: '2026-11-23' })), {
      reason: 'audit_time_invalid',
      status: 400,
    });
  });
});

describe('audit query: stream', () => {
  async function counted(events: number) {
    const store = createMemoryStore();
    for (let index = 0; index < events; index++) await store.audit.append({ at: T - index, type: 'x.y' });
    const reads: number[] = [];
    const audit: Pick<AuditStore, 'page'> = {
      page: async (filter, options) => {
        reads.push(options.limit);
        return store.audit.page(filter, options);
      },
    };
    return { q: createAuditQuery({ audit, users: store.users }), reads };
  }

  it('reads the store a page at a time, and only as far as it is read', async () => {
    const { q, reads } = await counted(25);
    const stream = q.stream({}, { pageSize: 10 });
    const first = await stream.next();
    assert.equal(first.value?.at, T);
    assert.deepEqual(reads, [10], 'one page read for the first event');
    let count = 1;
    for await (const _ of stream) count++;
    assert.equal(count, 25);
    assert.deepEqual(reads, [10, 10, 10]);
  });

  it('stops at the limit, asking for no more than it still needs', async () => {
    const { q, reads } = await counted(25);
    const seen: number[] = [];
    for await (const event of q.stream({}, { pageSize: 10, limit: 13 })) seen.push(T - event.at);
    assert.deepEqual(
      seen,
      Array.from({ length: 13 }, (_, index) => index),
    );
    assert.deepEqual(reads, [10, 3]);
  });

  it('pages by cursor return the stream, page by page', async () => {
    const { q } = await counted(7);
    const all: number[] = [];
    for await (const event of q.stream({})) all.push(event.at);
    const paged: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await q.page({}, { limit: 3, cursor });
      paged.push(...page.events.map((event) => event.at));
      cursor = page.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(paged, all);
  });
});
