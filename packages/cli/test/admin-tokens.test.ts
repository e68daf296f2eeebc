/**
 * `gatehouse admin-tokens` (docs/admin-api.md) run as real processes against a fresh SQLite data
 * directory, as an operator would, and a token it issued opening the admin API of `gatehouse serve`
 * on the listener of its own (`admin.listen`), the only place it is then served.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { digest, openSqliteStore } from '@gatehouse-oauth/server';
import { startGatehouse } from '../src/commands/serve.ts';
import { loadConfig } from '../src/config.ts';
import { run } from './support/cli-process.ts';

async function issue(data: string, ...flags: string[]) {
  const issued = await run(['admin-tokens', 'issue', '--data', data, ...flags]);
  assert.equal(issued.code, 0, issued.stderr);
  const token = /^admin_token: (gha_\S+)$/m.exec(issued.stdout)?.[1];
  const id = /^issued admin token (\S+) /m.exec(issued.stdout)?.[1];
  assert.ok(token && id, issued.stdout);
  return { token, id, stdout: issued.stdout };
}

describe('gatehouse admin-tokens', () => {
  let data: string;
  before(() => {
    data = mkdtempSync(join(tmpdir(), 'gatehouse-admin-tokens-'));
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('issues a token once, stores only its digest, lists and revokes it, audited with the CLI actor', async () => {
    const { token, id, stdout } = await issue(
      data,
      '--scope',
      'write',
      '--label',
      'deploy bot',
      '--expires-in',
      '3600',
    );
    assert.match(stdout, /\(scope write, label "deploy bot", expires \S+\)/);
    assert.match(stdout, /shown once/);

    const db = new DatabaseSync(join(data, 'gatehouse.sqlite'), { readOnly: true });
    try {
      const row = db.prepare('SELECT * FROM admin_tokens WHERE id = ?').get(id);
      assert.equal(row?.digest, digest(token));
      assert.deepEqual([row?.scope, row?.label], ['write', 'deploy bot']);
      assert.match(String(row?.created_by), /^cli/);
      assert.ok(!JSON.stringify(db.prepare('SELECT * FROM admin_tokens').all()).includes(token));
    } finally {
      db.close();
    }

    const listed = await run(['admin-tokens', 'list', '--data', data]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`^${id}\\tactive\\twrite\\texpires \\S+\\tcreated \\S+ by cli\\S*\\tdeploy bot$`, 'm'),
    );
    assert.ok(!listed.stdout.includes(token), 'list never shows the token');
    const json = await run(['admin-tokens', 'list', '--json', '--data', data]);
    const [listedToken] = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      [listedToken?.id, listedToken?.scope, listedToken?.state, listedToken?.label],
      [id, 'write', 'active', 'deploy bot'],
    );
    assert.ok(!json.stdout.includes(digest(token)), 'nor its digest');

    const revoked = await run(['admin-tokens', 'revoke', id, '--data', data]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`^revoked admin token ${id}$`, 'm'));
    const again = await run(['admin-tokens', 'revoke', id, '--data', data]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /was already revoked/);
    assert.match(
      (await run(['admin-tokens', 'list', '--data', data])).stdout,
      new RegExp(`^${id}\\trevoked\\t`, 'm'),
    );

    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      const events = await store.audit.list();
      const issuedEvent = events.find((event) => event.type === 'admin_token.issued');
      assert.match(String(issuedEvent?.actor), /^cli/);
      assert.equal(issuedEvent?.detail?.id, id);
      const revokedEvents = events.filter((event) => event.type === 'admin_token.revoked');
      assert.deepEqual(
        revokedEvents.map((event) => event.detail?.id),
        [id],
        'revoked once, audited once',
      );
    } finally {
      await store.close();
    }
  });

  it('refuses a missing or unknown scope, a bad lifetime and an unknown id as usage errors', async () => {
    for (const flags of [[], ['--scope', 'admin'], ['--scope', 'read', '--expires-in', '0']]) {
      const refused = await run(['admin-tokens', 'issue', '--data', data, ...flags]);
      assert.equal(refused.code, 2, flags.join(' '));
      assert.doesNotMatch(refused.stdout, /admin_token:/, 'nothing issued');
    }
    const unknown = await run(['admin-tokens', 'revoke', 'no-such-id', '--data', data]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no admin token no-such-id/);
  });

  it('opens the admin API of `gatehouse serve` on admin.listen, and only there', async () => {
    const { token, id } = await issue(data, '--scope', 'write');
    const running = await startGatehouse(
      loadConfig({
        env: {
          GATEHOUSE_DATA: data,
          GATEHOUSE_PORT: '0',
          GATEHOUSE_LOG_LEVEL: 'silent',
          GATEHOUSE_ADMIN__LISTEN__PORT: '0',
        },
      }),
    );
    try {
      assert.ok(running.adminPort !== undefined && running.adminPort !== running.port);
      const admin = `http://127.0.0.1:${running.adminPort}/admin/v1`;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const approved = await fetch(`${admin}/approvals`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ target: 'domain:example.com', tier: 'verified-domain' }),
      });
      assert.equal(approved.status, 200, await approved.clone().text());
      assert.equal(
        ((await approved.json()) as { after: { updated_by: string } }).after.updated_by,
        `admin-token:${id}`,
      );
      const [event] = await running.store.audit.list({ type: 'governance.client_approved' });
      assert.equal(event?.actor, `admin-token:${id}`);
      assert.equal((await fetch(`${admin}/rules`)).status, 401, 'never without a token');
      assert.equal(
        (await fetch(`${running.issuer}/admin/v1/rules`, { headers })).status,
        404,
        'not on the main listener',
      );
    } finally {
      await running.stop();
    }
  });
});
