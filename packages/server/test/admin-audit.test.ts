/**
 * The audit log through the admin API (issue #14, item 6): GET /admin/v1/audit with every filter
 * (an account by name or id, client, type, actor, a time range), its pages walked by cursor, and
 * GET /admin/v1/audit.jsonl streamed as JSON Lines a store page at a time. Each refusal with its
 * reason. Answers are parsed by the schemas the OpenAPI document is made of.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { AUDIT_STREAM_PAGE } from '../src/audit/audit-query.ts';
import type { AuditEvent } from '../src/store/store.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

const T = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3_600_000;

/** A server with a read token and a few events an hour apart, from T - 5 h to T - 1 h. */
async function auditServer() {
  const t = await createTestServer();
  const { token, issued } = await t.server.admin.tokens.issue({ scope: 'read', actor: 'cli:root' });
  const events: AuditEvent[] = [
    { at: T - 5 * HOUR, type: 'login.failed', clientId: 'public-app', reason: 'bad_credentials' },
    { at: T - 4 * HOUR, type: 'token.issued', clientId: 'public-app', userId: 'user-alice' },
    { at: T - 3 * HOUR, type: 'client.removed', clientId: 'gone-app', actor: 'cli:bob', reason: 'operator' },
    { at: T - 2 * HOUR, type: 'token.issued', clientId: 'basic-app', userId: 'user-removed' },
    { at: T - HOUR, type: 'token.issued', clientId: 'public-app', userId: 'user-alice' },
  ];
  for (const event of events) await t.store.audit.append(event);
  /** A GET below /admin/v1; the query as parameters, or as written. */
  const get = (path: string, query: Record<string, string> | string = {}, bearer: string | null = token) =>
    t.send(`${ISSUER}/admin/v1${path}?${typeof query === 'string' ? query : new URLSearchParams(query)}`, {
      headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
    });
  const list = async (query: Record<string, string> = {}) => {
    const response = await get('/audit', query);
    assert.equal(response.status, 200, await response.clone().text());
    return ADMIN_OPERATIONS.listAudit.answer.parse(await response.json());
  };
  const exported = async (query: Record<string, string> = {}) => {
    const response = await get('/audit.jsonl', query);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'application/jsonl; charset=utf-8');
    const text = await response.text();
    assert.ok(text === '' || text.endsWith('\n'), 'every line ends with a newline');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => ADMIN_OPERATIONS.exportAudit.answer.parse(JSON.parse(line)));
  };
  return { t, get, list, exported, tokenId: issued.id };
}

const types = (events: readonly { type: string }[]) => events.map((event) => event.type);
const hours = (events: readonly { at: string }[]) => events.map((event) => (Date.parse(event.at) - T) / HOUR);

describe('admin API: GET /admin/v1/audit', () => {
  it('lists newest first, as snake_case JSON with ISO times, with a read token', async () => {
    const { list, tokenId } = await auditServer();
    const page = await list();
    // The token's own issuing is audited too, at T.
    assert.deepEqual(hours(page.events), [0, -1, -2, -3, -4, -5]);
    assert.deepEqual(page.events[0], {
      at: new Date(T).toISOString(),
      type: 'admin_token.issued',
      actor: 'cli:root',
      detail: page.events[0]!.detail!,
    });
    assert.equal(page.events[0]!.detail!.id, tokenId);
    assert.deepEqual(page.events[3], {
      at: new Date(T - 3 * HOUR).toISOString(),
      type: 'client.removed',
      client_id: 'gone-app',
      actor: 'cli:bob',
      reason: 'operator',
    });
    assert.equal(page.next_cursor, undefined, 'one page holds them all');
  });

  it('filters by client, account name or id, type, actor and time range, together', async () => {
    const { list } = await auditServer();
    assert.deepEqual(hours((await list({ client_id: 'public-app' })).events), [-1, -4, -5]);
    assert.deepEqual(hours((await list({ user: 'alice' })).events), [-1, -4]);
    assert.deepEqual(hours((await list({ user_id: 'user-removed' })).events), [-2]);
    assert.deepEqual(hours((await list({ user: 'alice', user_id: 'user-alice' })).events), [-1, -4]);
    assert.deepEqual(hours((await list({ type: 'token.issued' })).events), [-1, -2, -4]);
    assert.deepEqual(types((await list({ actor: 'cli:bob' })).events), ['client.removed']);
    const since = new Date(T - 4 * HOUR).toISOString();
    const until = new Date(T - HOUR).toISOString();
    assert.deepEqual(
      hours((await list({ since, until })).events),
      [-2, -3, -4],
      'since inclusive, until exclusive',
    );
    assert.deepEqual(
      hours((await list({ since, until, type: 'token.issued', client_id: 'public-app' })).events),
      [-4],
    );
    // A date is its first instant, UTC; an offset is honoured.
    assert.deepEqual(hours((await list({ since: '2026-11-24' })).events), []);
    assert.deepEqual(hours((await list({ until: '2026-11-23T09:30:00+02:00' })).events), [-5]);
    assert.deepEqual((await list({ type: 'nothing.here' })).events, []);
  });

  it('walks every event once by cursor, newest first, while new events are written', async () => {
    const { t, list } = await auditServer();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list({ limit: '2', ...(cursor === undefined ? {} : { cursor }) });
      assert.ok(page.events.length <= 2);
      seen.push(...page.events.map((event) => `${event.at} ${event.type}`));
      cursor = page.next_cursor;
      pages++;
      // Written during the walk, newer than where it is: for the next walk, not this one.
      await t.store.audit.append({ at: T + pages, type: 'during.walk' });
    } while (cursor !== undefined);
    assert.equal(pages, 3);
    assert.equal(seen.length, 6);
    assert.equal(new Set(seen).size, 6, 'none twice');
    assert.ok(!seen.some((line) => line.endsWith('during.walk')));
    assert.equal((await list({ type: 'during.walk' })).events.length, 3);
  });

  it('refuses what it cannot read, each with its reason', async () => {
    const { t, get } = await auditServer();
    const refused = async (query: Record<string, string>, reason: string, status = 400) =>
      assertRefusal(t, await get('/audit', query), { status, error: 'invalid_request', reason });
    await refused({ client: 'public-app' }, 'parameter_invalid');
    await refused({ limit: '0' }, 'parameter_invalid');
    await refused({ limit: '1001' }, 'parameter_invalid');
    await refused({ limit: 'ten' }, 'parameter_invalid');
    const twice = await get('/audit', 'type=a&type=b');
    await assertRefusal(t, twice, { status: 400, error: 'invalid_request', reason: 'parameter_invalid' });
    await refused({ since: 'yesterday' }, 'audit_time_invalid');
    await refused({ since: '2026-11-23T12:00:00' }, 'audit_time_invalid'); // no zone
    await refused({ until: '2026-02-30' }, 'audit_time_invalid');
    await refused({ since: '2026-11-24', until: '2026-11-23' }, 'audit_time_invalid');
    await refused({ cursor: 'not-a-cursor' }, 'audit_cursor_invalid');
    await refused({ user: 'nobody' }, 'user_not_found', 404);
    await refused({ user: 'alice', user_id: 'user-removed' }, 'audit_filter_conflict');
    await assertRefusal(t, await get('/audit', {}, null), {
      status: 401,
      error: 'invalid_token',
      reason: 'admin_token_missing',
    });
  });
});

describe('admin API: GET /admin/v1/audit.jsonl', () => {
  it('streams every matching event as one JSON object a line, newest first, with the same filters', async () => {
    const { exported, list } = await auditServer();
    assert.deepEqual(await exported(), (await list()).events);
    assert.deepEqual(hours(await exported({ type: 'token.issued', user: 'alice' })), [-1, -4]);
    assert.deepEqual(hours(await exported({ since: new Date(T - 2 * HOUR).toISOString() })), [0, -1, -2]);
    assert.deepEqual(hours(await exported({ limit: '2' })), [0, -1]);
    assert.deepEqual(await exported({ client_id: 'nobody' }), []);
  });

  it('reads the store a page at a time as the client reads, not the whole log first', async () => {
    const { t, get } = await auditServer();
    const total = AUDIT_STREAM_PAGE * 10;
    for (let index = 0; index < total; index++)
      await t.store.audit.append({ at: T - 10 * HOUR - index, type: 'bulk.event', detail: { index } });
    const reads: number[] = [];
    const page = t.store.audit.page.bind(t.store.audit);
    t.store.audit.page = async (filter, options) => {
      const answer = await page(filter, options);
      reads.push(answer.events.length);
      return answer;
    };
    const response = await get('/audit.jsonl', { type: 'bulk.event' });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value !== undefined && first.value.length > 0);
    assert.ok(
      reads.length <= 3,
      `the first chunk needed ${reads.length} store pages, not all ${total / AUDIT_STREAM_PAGE}`,
    );
    let text = new TextDecoder().decode(first.value);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);
    const indexes = text
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { detail: { index: number } }).detail.index);
    assert.deepEqual(
      indexes,
      Array.from({ length: total }, (_, index) => index),
    );
    assert.ok(
      reads.every((size) => size <= AUDIT_STREAM_PAGE),
      'no store read larger than a page',
    );
  });

  it('refuses a bad filter before it starts: a JSON refusal, not a cut stream', async () => {
    const { t, get } = await auditServer();
    await assertRefusal(t, await get('/audit.jsonl', { user: 'nobody' }), {
      status: 404,
      error: 'invalid_request',
      reason: 'user_not_found',
    });
    await assertRefusal(t, await get('/audit.jsonl', { cursor: 'x' }), {
      status: 400,
      error: 'invalid_request',
      reason: 'parameter_invalid',
    });
    await assertRefusal(t, await get('/audit.jsonl', { until: '23/11/2026' }), {
      status: 400,
      error: 'invalid_request',
      reason: 'audit_time_invalid',
    });
  });
});
