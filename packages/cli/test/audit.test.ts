/**
 * `gatehouse audit` and `gatehouse audit export` (issue #14, item 6) as processes on a SQLite file:
 * the text lines and `--json` scripts depend on, every filter (an account by name or by id, a
 * client, a type, an actor, a time range, a limit), the export as JSON Lines in order, an export
 * whose reader stops early (`| head`), and the refusals: exit 2, a message, no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AuditEvent, openSqliteStore } from '@gatehouse-oauth/server';
import { COMMANDS } from '../src/cli-definitions.ts';
import { startGatehouse } from '../src/commands/serve.ts';
import { loadConfig } from '../src/config.ts';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { CLI, ROOT, run } from './support/cli-process.ts';

const T = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3_600_000;
const iso = (at: number) => new Date(at).toISOString();

describe('gatehouse audit: the spellings scripts use', () => {
  it('are defined with their flags, --json on the listing', () => {
    const flags = (name: string) =>
      (COMMANDS.find((command) => command.name === name)?.options ?? []).map((option) => option.name);
    const filters = ['client', 'user', 'type', 'actor', 'since', 'until', 'limit'];
    assert.deepEqual(flags('audit'), [...filters, 'json']);
    assert.deepEqual(flags('audit export'), filters);
  });
});

describe('gatehouse audit on a SQLite file', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-audit-'));
  after(() => rmSync(data, { recursive: true, force: true }));
  const gatehouse = (...args: string[]) => run([...args, '--data', data]);
  const actor = `cli:${userInfo().username}`;
  const events: AuditEvent[] = [
    { at: T - 5 * HOUR, type: 'login.failed', clientId: 'app-one', reason: 'bad_credentials' },
    { at: T - 4 * HOUR, type: 'token.issued', clientId: 'app-one', userId: 'user-alice', detail: { n: 1 } },
    { at: T - 3 * HOUR, type: 'client.removed', clientId: 'app-two', actor: 'cli:bob', reason: 'operator' },
    { at: T - 2 * HOUR, type: 'token.issued', clientId: 'app-two', userId: 'user-gone' },
    { at: T - HOUR, type: 'token.issued', clientId: 'app-one', userId: 'user-alice' },
  ];

  before(async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    await store.users.create({ id: 'user-alice', username: 'alice', passwordHash: 'x', createdAt: T });
    for (const event of events) await store.audit.append(event);
    await store.close();
  });

  it('lists one line per event, newest first: time, type, actor, client, user (by name), reason', async () => {
    const listed = await gatehouse('audit', '--until', iso(T));
    assert.equal(listed.code, EXIT_CODES.ok.code, listed.stderr);
    assert.equal(
      listed.stdout,
      [
        `${iso(T - HOUR)}\ttoken.issued\t-\tapp-one\talice\t-`,
        `${iso(T - 2 * HOUR)}\ttoken.issued\t-\tapp-two\tuser-gone\t-`,
        `${iso(T - 3 * HOUR)}\tclient.removed\tcli:bob\tapp-two\t-\toperator`,
        `${iso(T - 4 * HOUR)}\ttoken.issued\t-\tapp-one\talice\t-`,
        `${iso(T - 5 * HOUR)}\tlogin.failed\t-\tapp-one\t-\tbad_credentials`,
        '',
      ].join('\n'),
    );
  });

  it('--json prints the stored events as an array, each with its account name while it exists', async () => {
    const listed = await gatehouse('audit', '--json', '--client', 'app-one', '--until', iso(T));
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [
      { ...events[4], username: 'alice' },
      { ...events[1], username: 'alice' },
      events[0],
    ]);
    const none = await gatehouse('audit', '--json', '--type', 'nothing.here');
    assert.deepEqual(JSON.parse(none.stdout), []);
    const empty = await gatehouse('audit', '--type', 'nothing.here');
    assert.equal(empty.stdout, 'no audit events\n');
  });

  it('filters by account name or id, client, type, actor, time range and limit, together', async () => {
    const hours = async (...args: string[]) => {
      const listed = await gatehouse('audit', '--json', '--until', iso(T), ...args);
      assert.equal(listed.code, 0, listed.stderr);
      return (JSON.parse(listed.stdout) as AuditEvent[]).map((event) => (event.at - T) / HOUR);
    };
    assert.deepEqual(await hours('--user', 'alice'), [-1, -4]);
    assert.deepEqual(await hours('--user', 'id:user-gone'), [-2]);
    assert.deepEqual(await hours('--client', 'app-two'), [-2, -3]);
    assert.deepEqual(await hours('--type', 'token.issued'), [-1, -2, -4]);
    assert.deepEqual(await hours('--actor', 'cli:bob'), [-3]);
    assert.deepEqual(await hours('--since', iso(T - 4 * HOUR)), [-1, -2, -3, -4]);
    assert.deepEqual(await hours('--since', iso(T - 4 * HOUR), '--until', iso(T - 2 * HOUR)), [-3, -4]);
    assert.deepEqual(
      await hours('--type', 'token.issued', '--user', 'alice', '--since', '2026-11-23'),
      [-1, -4],
    );
    assert.deepEqual(await hours('--until', '2026-11-23T08:30:00+01:00'), [-5]);
    assert.deepEqual(await hours('--limit', '2'), [-1, -2]);
  });

  it('shows what the CLI itself did, with the operating system user as actor', async () => {
    assert.equal(
      (
        await run(['users', 'add', 'carol', '--password-stdin', '--data', data], {
          input: 'a long enough password 1',
        })
      ).code,
      0,
    );
    const listed = await gatehouse('audit', '--actor', actor, '--type', 'user.added');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^\\S+Z\\tuser\\.added\\t${actor}\\t-\\tcarol\\t-\\n$`));
  });

  it('refuses what it cannot read: exit 2, one line, no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--user', 'nobody'], /no account named nobody \(an account removed since: --user id:<user_id>\)/],
      [['--since', 'yesterday'], /since must be an ISO 8601 date/],
      [['--until', '2026-11-23T12:00:00'], /until must be an ISO 8601 date .* not 2026-11-23T12:00:00$/m],
      [
        ['--since', '2026-11-24', '--until', '2026-11-23'],
        /since \(2026-11-24\) is after until \(2026-11-23\)/,
      ],
      [['--limit', '0'], /--limit takes a positive whole number, not 0/],
      [['export', '--json'], /audit export writes JSON Lines already/],
      [['list'], /usage: gatehouse audit/],
    ];
    for (const [args, message] of cases) {
      const refused = await gatehouse('audit', ...args);
      assert.equal(refused.code, EXIT_CODES.usage.code, args.join(' '));
      assert.match(refused.stderr, message);
      assert.doesNotMatch(refused.stderr, /\n\s+at /);
      assert.equal(refused.stdout, '');
    }
  });
});

describe('gatehouse audit export', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-audit-export-'));
  after(() => rmSync(data, { recursive: true, force: true }));
  const COUNT = 12_000;

  before(async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    for (let index = 0; index < COUNT; index++)
      await store.audit.append({
        at: T - index * 1000,
        type: index % 10 === 0 ? 'login.failed' : 'token.issued',
        clientId: `app-${index % 3}`,
        detail: { index },
      });
    await store.close();
  });

  it('writes every matching event as one JSON object a line, newest first, across many store pages', async () => {
    const all = await run(['audit', 'export', '--data', data]);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.split('\n');
    assert.equal(lines.pop(), '', 'the last line ends with a newline');
    assert.equal(lines.length, COUNT);
    const indexes = lines.map((line) => (JSON.parse(line) as AuditEvent).detail?.index);
    assert.deepEqual(
      indexes,
      Array.from({ length: COUNT }, (_, index) => index),
    );
    assert.deepEqual(JSON.parse(lines[0]!), {
      at: T,
      type: 'login.failed',
      clientId: 'app-0',
      detail: { index: 0 },
    });

    const filtered = await run([
      'audit',
      'export',
      '--type',
      'login.failed',
      '--client',
      'app-1',
      '--since',
      iso(T - 3000 * 1000),
      '--data',
      data,
    ]);
    assert.equal(filtered.code, 0, filtered.stderr);
    const filteredIndexes = filtered.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as AuditEvent).detail?.index);
    assert.deepEqual(
      filteredIndexes,
      Array.from({ length: 3001 }, (_, index) => index).filter((index) => index % 30 === 10),
    );
    const limited = await run(['audit', 'export', '--limit', '3', '--data', data]);
    assert.equal(limited.stdout.trim().split('\n').length, 3);
  });

  it('ends quietly, exit 0, when its reader stops early (| head -1)', async () => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--conditions=@gatehouse-oauth/source',
        CLI,
        'audit',
        'export',
        '--data',
        data,
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const firstLine = await new Promise<string>((resolve) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk;
        const end = seen.indexOf('\n');
        if (end >= 0) {
          resolve(seen.slice(0, end));
          child.stdout.destroy();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal((JSON.parse(firstLine) as AuditEvent).detail?.index, 0);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
  });
});

describe('gatehouse serve and the audit log', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-audit-serve-'));
  after(() => rmSync(data, { recursive: true, force: true }));
  const DAY = 86_400_000;

  it('purges events past audit.retention_days at start, audited once by its count; the admin API streams the rest', async () => {
    const now = Date.now();
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    for (let index = 0; index < 1500; index++)
      await store.audit.append({ at: now - 31 * DAY - index, type: 'token.issued', clientId: 'old-app' });
    await store.audit.append({ at: now - 29 * DAY, type: 'token.issued', clientId: 'recent-app' });
    await store.close();
    const issued = await run(['admin-tokens', 'issue', '--scope', 'read', '--data', data]);
    assert.equal(issued.code, 0, issued.stderr);
    const token = /admin_token: (\S+)/.exec(issued.stdout)![1]!;

    const running = await startGatehouse(
      loadConfig({
        env: {
          GATEHOUSE_DATA: data,
          GATEHOUSE_PORT: '0',
          GATEHOUSE_LOG_LEVEL: 'silent',
          GATEHOUSE_AUDIT__RETENTION_DAYS: '30',
        },
      }),
    );
    try {
      // The first purge runs as soon as the server is up; give it a few seconds on a busy machine.
      let purged: AuditEvent[] = [];
      for (let tries = 0; tries < 100 && purged.length === 0; tries++) {
        purged = await running.store.audit.list({ type: 'audit.purged' });
        if (purged.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(purged.length, 1);
      assert.equal(purged[0]!.actor, 'system:audit-retention');
      assert.equal(purged[0]!.detail?.deleted, 1500);
      assert.equal(purged[0]!.detail?.retention_days, 30);

      // Through the real listener: JSON Lines, newest first, what is left.
      const response = await fetch(`${running.issuer}/admin/v1/audit.jsonl?type=token.issued`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/jsonl; charset=utf-8');
      const lines = (await response.text()).trim().split('\n');
      assert.deepEqual(
        lines.map((line) => (JSON.parse(line) as { client_id: string }).client_id),
        ['recent-app'],
      );
    } finally {
      await running.stop();
    }
  });
});
