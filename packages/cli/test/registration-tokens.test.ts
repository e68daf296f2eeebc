/**
 * `gatehouse registration-tokens` (initial access tokens for DCR) and `gatehouse clients reap`, run
 * as real processes against a fresh SQLite data directory, as an operator would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { type ClientRecord, createMemoryStore, digest, openSqliteStore } from '@gatehouse-oauth/server';
import { cliLifecycle } from '../src/cli-lifecycle.ts';
import { startRegistrationHygiene } from '../src/registration-hygiene.ts';
import { run } from './support/cli-process.ts';

const DAY = 24 * 60 * 60 * 1000;

function registration(clientId: string, createdAt: number): ClientRecord {
  return {
    clientId,
    kind: 'dcr',
    metadata: {
      client_id: clientId,
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    createdAt,
    updatedAt: createdAt,
    registration: { accessTokenDigest: `rat-${clientId}` },
  };
}

describe('gatehouse registration-tokens', () => {
  let data: string;
  before(() => {
    data = mkdtempSync(join(tmpdir(), 'gatehouse-registration-tokens-'));
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('issues a token once, stores only its digest, lists and revokes it', async () => {
    const issued = await run([
      'registration-tokens',
      'issue',
      '--data',
      data,
      '--label',
      'ci agents',
      '--max-uses',
      '5',
      '--expires-in',
      '3600',
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    const token = /^initial_access_token: (\S+)$/m.exec(issued.stdout)?.[1];
    const id = /^issued registration token (\S+) /m.exec(issued.stdout)?.[1];
    assert.ok(token && id, issued.stdout);
    assert.match(issued.stdout, /at most 5 registration/);
    assert.match(issued.stdout, /shown once/);

    const db = new DatabaseSync(join(data, 'gatehouse.sqlite'), { readOnly: true });
    try {
      const row = db.prepare('SELECT * FROM initial_access_tokens WHERE id = ?').get(id);
      assert.equal(row?.digest, digest(token));
      assert.equal(row?.max_uses, 5);
      assert.equal(row?.label, 'ci agents');
      const dump = JSON.stringify(db.prepare('SELECT * FROM initial_access_tokens').all());
      assert.ok(!dump.includes(token), 'the token itself is never stored');
    } finally {
      db.close();
    }

    const listed = await run(['registration-tokens', 'list', '--data', data]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`^${id}\\tactive\\t0/5 uses\\texpires \\S+\\tany scope\\tcreated \\S+\\tci agents$`, 'm'),
    );
    assert.ok(!listed.stdout.includes(token), 'list never shows the token');

    const revoked = await run(['registration-tokens', 'revoke', id, '--data', data]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(
      (await run(['registration-tokens', 'list', '--data', data])).stdout,
      new RegExp(`^${id}\\trevoked\\t`, 'm'),
    );

    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      assert.equal(
        await store.initialAccessTokens.use(digest(token), Date.now()),
        undefined,
        'revoked token refused',
      );
      const types = (await store.audit.list()).map((event) => event.type);
      assert.ok(types.includes('initial_access_token.issued'));
      assert.ok(types.includes('initial_access_token.revoked'));
    } finally {
      await store.close();
    }
  });

  it('issues a token with a scope limit, stored normalised and shown by list', async () => {
    const issued = await run([
      'registration-tokens',
      'issue',
      '--data',
      data,
      '--scope',
      'mcp:tools  api:read mcp:tools',
      '--label',
      'scoped',
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    const id = /^issued registration token (\S+) /m.exec(issued.stdout)?.[1];
    assert.ok(id, issued.stdout);
    assert.match(issued.stdout, /scope "mcp:tools api:read"/);
    const db = new DatabaseSync(join(data, 'gatehouse.sqlite'), { readOnly: true });
    try {
      assert.equal(
        db.prepare('SELECT scope FROM initial_access_tokens WHERE id = ?').get(id)?.scope,
        'mcp:tools api:read',
      );
    } finally {
      db.close();
    }
    const listed = await run(['registration-tokens', 'list', '--data', data]);
    assert.match(
      listed.stdout,
      new RegExp(`^${id}\\tactive\\t0 uses\\tnever expires\\tscope "mcp:tools api:read"\\t`, 'm'),
    );
  });

  it('issues an unlimited token without flags', async () => {
    const issued = await run(['registration-tokens', 'issue', '--data', data]);
    assert.equal(issued.code, 0, issued.stderr);
    assert.match(issued.stdout, /no use limit, no expiry/);
  });

  it('refuses bad values and unknown ids as usage errors, without stack traces', async () => {
    for (const args of [
      ['registration-tokens', 'issue', '--max-uses', '0'],
      ['registration-tokens', 'issue', '--max-uses', 'lots'],
      ['registration-tokens', 'issue', '--expires-in', '1.5'],
      ['registration-tokens', 'issue', '--scope', ''],
      ['registration-tokens', 'issue', '--scope', 'bad"scope'],
      ['registration-tokens', 'revoke', 'no-such-id'],
      ['registration-tokens', 'revoke'],
      ['registration-tokens', 'frobnicate'],
      ['clients', 'reap', '--idle-seconds', '-1'],
    ]) {
      const result = await run([...args, '--data', data]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^gatehouse: /);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('gatehouse clients reap', () => {
  let data: string;
  before(() => {
    data = mkdtempSync(join(tmpdir(), 'gatehouse-reap-'));
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('reaps never-used and idle registrations, keeps used ones, and revokes their tokens', async () => {
    const now = Date.now();
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      await store.clients.put(registration('dcr-never-used', now - 2 * DAY));
      await store.clients.put(registration('dcr-fresh', now - 60_000));
      await store.clients.put(registration('dcr-used', now - 10 * DAY));
      await store.clients.touch('dcr-used', now - DAY);
      await store.clients.put(registration('dcr-idle', now - 10 * DAY));
      await store.clients.touch('dcr-idle', now - 5 * DAY);
      await store.tokenFamilies.create({
        id: 'family-idle',
        grantId: 'grant-idle',
        clientId: 'dcr-idle',
        userId: 'user-1',
        scope: [],
        resources: [],
        authTime: now - 5 * DAY,
        createdAt: now - 5 * DAY,
        expiresAt: now + DAY,
      });
    } finally {
      await store.close();
    }

    // Defaults (24 h never used, 90 days idle): only the never-used one goes.
    const first = await run(['clients', 'reap', '--data', data]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'reaped 1 stale registration\n');

    // A shorter idle horizon also takes the idle one.
    const second = await run(['clients', 'reap', '--idle-seconds', String((3 * DAY) / 1000), '--data', data]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'reaped 1 stale registration\n');

    // A never-used horizon of a second takes the fresh one.
    const third = await run(['clients', 'reap', '--never-used-seconds', '1', '--data', data]);
    assert.equal(third.stdout, 'reaped 1 stale registration\n');

    const reopened = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      assert.deepEqual(
        (await reopened.clients.list()).map((client) => client.clientId),
        ['dcr-used'],
      );
      assert.equal((await reopened.tokenFamilies.get('family-idle'))?.revokedReason, 'client_reaped');
      const reaped = await reopened.audit.list({ type: 'client.removed' });
      assert.deepEqual(reaped.map((event) => [event.clientId, event.reason]).sort(), [
        ['dcr-fresh', 'never_used'],
        ['dcr-idle', 'idle'],
        ['dcr-never-used', 'never_used'],
      ]);
      assert.ok(reaped.every((event) => event.actor?.startsWith('cli')));
    } finally {
      await reopened.close();
    }
  });
});

describe('startRegistrationHygiene', () => {
  it('reaps every 10 minutes until stopped', async (context) => {
    context.mock.timers.enable({ apis: ['setInterval'] });
    const store = createMemoryStore();
    await store.clients.put(registration('dcr-old', Date.now() - 2 * DAY));
    const logged: object[] = [];
    const logger = {
      info: (object: object) => logged.push(object),
      error: (object: object) => logged.push(object),
    };
    const stop = startRegistrationHygiene(store, logger, cliLifecycle(store));
    context.mock.timers.tick(10 * 60 * 1000 - 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(await store.clients.get('dcr-old'), 'not before the interval');
    context.mock.timers.tick(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await store.clients.get('dcr-old'), undefined);
    assert.deepEqual(logged, [{ reaped: 1 }]);
    stop();
  });
});
