/**
 * `gatehouse clients approve|block|unblock|pending|rules` in their own process against the SQLite
 * file a running server uses (issue #13): a block revokes the grants of every client it selects
 * through the one client lifecycle, is audited with the operating system user as actor, and the
 * running server refuses the client within 2 seconds (the client change feed); the listings' human
 * lines and `--json` shapes, which scripts depend on; refusals are exit 2 with a message, no stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { createAuthorizationServer, openSqliteStore, type Store } from '@gatehouse-oauth/server';
import { CIMD_URL, cimdDocument, stubDocuments } from '../../server/test/support/stub-documents.ts';
import { COMMANDS } from '../src/cli-definitions.ts';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { run } from './support/cli-process.ts';

const ISSUER = 'https://as.example.test';
const REDIRECT = 'https://app.example.test/callback';
const T = Date.UTC(2026, 10, 23, 12, 0, 0);

async function grantFor(store: Store, clientId: string, userId: string) {
  const grant = await store.grants.upsert({
    id: `grant-${userId}`,
    userId,
    clientId,
    redirectUri: REDIRECT,
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.test'],
    now: T,
  });
  await store.tokenFamilies.create({
    id: `family-${userId}`,
    grantId: grant.id,
    clientId,
    userId,
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.test'],
    authTime: T,
    createdAt: T,
    expiresAt: Date.now() + 86_400_000,
  });
}

/** Polls `check` every 100 ms for up to 2 s; returns whether it came true. */
async function within2s(check: () => Promise<boolean>): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < 2000) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe('gatehouse clients approve|block|unblock|pending|rules: the spellings scripts use', () => {
  it('are defined with their arguments and flags', () => {
    const defined = (name: string) => COMMANDS.find((command) => command.name === name);
    const flags = (name: string) => (defined(name)?.options ?? []).map((option) => option.name);
    assert.equal(defined('clients approve')?.arguments, '<client_id|rule>');
    assert.deepEqual(flags('clients approve'), ['tier', 'owner', 'note']);
    assert.equal(defined('clients block')?.arguments, '<client_id|rule>');
    assert.deepEqual(flags('clients block'), ['reason']);
    assert.equal(defined('clients unblock')?.arguments, '<client_id|rule>');
    assert.deepEqual(flags('clients unblock'), []);
    assert.deepEqual(flags('clients pending'), ['json']);
    assert.deepEqual(flags('clients rules'), ['json']);
    assert.deepEqual(flags('clients list'), [
      'kind',
      'state',
      'tier',
      'domain',
      'idle-days',
      'owner',
      'label',
      'installations-of',
      'json',
    ]);
  });
});

describe('gatehouse clients block beside a running server (one SQLite file)', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-governance-'));
  after(() => rmSync(data, { recursive: true, force: true }));

  it('revokes through the lifecycle, is audited with its actor, and the server refuses within 2 s', async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument({ redirect_uris: [REDIRECT] }));
    const server = createAuthorizationServer({ issuer: ISSUER, store, outboundFetch: documents.fetch });
    const authorize = () =>
      server.fetch(
        new Request(
          `${ISSUER}/authorize?${new URLSearchParams({
            client_id: CIMD_URL,
            redirect_uri: REDIRECT,
            response_type: 'code',
            code_challenge: s256('a-verifier-of-enough-length-for-pkce-0123456789'),
            code_challenge_method: 'S256',
          })}`,
        ),
      );
    try {
      assert.equal((await authorize()).status, 303, 'admitted, and now a stored client');
      await grantFor(store, CIMD_URL, 'user-1');
      await grantFor(store, CIMD_URL, 'user-2');

      const blocked = await run([
        'clients',
        'block',
        'domain:Example.TEST',
        '--reason',
        'incident 42',
        '--data',
        data,
      ]);
      assert.equal(blocked.code, EXIT_CODES.ok.code, blocked.stderr);
      assert.equal(
        blocked.stdout,
        'blocked domain:example.test; revoked 2 grants and 2 token families of 1 client\n',
      );
      const families = await store.tokenFamilies.listByClient(CIMD_URL);
      assert.deepEqual(
        families.map((family) => family.revokedReason),
        ['client_blocked', 'client_blocked'],
      );
      const [revoked, ...moreRevoked] = await store.audit.list({ type: 'client.revoked' });
      assert.equal(moreRevoked.length, 0);
      assert.equal(revoked!.reason, 'client_blocked');
      assert.match(revoked!.actor ?? '', /^cli(:|$)/);
      const [event] = await store.audit.list({ type: 'governance.client_blocked' });
      assert.match(event!.actor ?? '', /^cli(:|$)/);
      assert.equal(event!.detail?.selector, 'domain:example.test');
      assert.equal(event!.detail?.before, null);
      assert.equal((event!.detail!.after as { note?: string }).note, 'incident 42');

      // Blocking again, before anything new: nothing stored, revoked or audited.
      const again = await run([
        'clients',
        'block',
        'domain:example.test',
        '--reason',
        'incident 42',
        '--data',
        data,
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, 'domain:example.test was already blocked; nothing changed\n');
      assert.equal((await store.audit.list({ type: 'governance.client_blocked' })).length, 1);

      assert.ok(
        await within2s(async () => (await authorize()).status !== 303),
        'the running server refuses the blocked client within 2 s',
      );

      const unblocked = await run(['clients', 'unblock', 'domain:example.test', '--data', data]);
      assert.equal(unblocked.code, 0, unblocked.stderr);
      assert.equal(unblocked.stdout, 'unblocked domain:example.test\n');
      assert.ok(
        await within2s(async () => (await authorize()).status === 303),
        'the running server admits the client again within 2 s',
      );

      const none = await run(['clients', 'unblock', 'domain:example.test', '--data', data]);
      assert.equal(none.code, EXIT_CODES.usage.code);
      assert.equal(none.stderr, 'gatehouse: no stored block for domain:example.test\n');
    } finally {
      await server.stop();
      await store.close();
    }
  });
});

describe('gatehouse clients approve, rules, pending, list', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-governance-'));
  const config = join(data, 'gatehouse.json');
  writeFileSync(
    config,
    JSON.stringify({
      governance: {
        mode: 'approval',
        rules: [{ selector: 'domain:evil.example', state: 'blocked', note: 'known bad' }],
      },
    }),
  );
  after(() => rmSync(data, { recursive: true, force: true }));
  const gatehouse = (...args: string[]) => run([...args, '--config', config, '--data', data]);

  it('approve stores one spelling with its tier and owner, ends the access requests, and is audited', async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      await store.governance.recordAccessRequest({
        clientId: CIMD_URL,
        userId: 'user-1',
        clientName: 'Example CIMD client',
        at: T,
      });
      await store.governance.recordAccessRequest({ clientId: CIMD_URL, userId: 'user-1', at: T + 60_000 });
      await store.governance.recordAccessRequest({ clientId: 'dcr-client', userId: 'user-2', at: T });
      await store.governance.hold({
        clientId: 'https://held.example/client.json',
        reason: 'jwks_uri changed',
        at: T,
      });

      const listed = await gatehouse('clients', 'pending');
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(
        listed.stdout,
        [
          'access requests (client, user, first, last, attempts, client name): 2',
          `${CIMD_URL}\tuser-1\t2026-11-23T12:00:00.000Z\t2026-11-23T12:01:00.000Z\t2 attempts\tExample CIMD client`,
          'dcr-client\tuser-2\t2026-11-23T12:00:00.000Z\t2026-11-23T12:00:00.000Z\t1 attempt\t',
          'held clients (client, since, reason): 1',
          'https://held.example/client.json\t2026-11-23T12:00:00.000Z\tjwks_uri changed',
          '',
        ].join('\n'),
      );
      const json = await gatehouse('clients', 'pending', '--json');
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), {
        requests: [
          {
            clientId: CIMD_URL,
            userId: 'user-1',
            clientName: 'Example CIMD client',
            firstAt: T,
            lastAt: T + 60_000,
            attempts: 2,
          },
          { clientId: 'dcr-client', userId: 'user-2', firstAt: T, lastAt: T, attempts: 1 },
        ],
        holds: [{ clientId: 'https://held.example/client.json', reason: 'jwks_uri changed', at: T }],
      });

      const approved = await gatehouse(
        'clients',
        'approve',
        `id:${CIMD_URL}`,
        '--tier',
        'trusted',
        '--owner',
        'platform team',
        '--note',
        'reviewed in CHG-7',
      );
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal(approved.stdout, `approved ${CIMD_URL} (tier trusted, owner platform team)\n`);
      const [event] = await store.audit.list({ type: 'governance.client_approved' });
      assert.match(event!.actor ?? '', /^cli(:|$)/);
      assert.equal(event!.clientId, CIMD_URL);
      assert.equal(event!.detail?.access_requests_cleared, 1);
      assert.deepEqual(
        (await store.governance.listAccessRequests()).map((request) => request.clientId),
        ['dcr-client'],
      );
      const unchanged = await gatehouse('clients', 'approve', CIMD_URL);
      assert.equal(unchanged.stdout, `${CIMD_URL} was already approved; nothing changed\n`);

      const rules = await gatehouse('clients', 'rules', '--json');
      assert.equal(rules.code, 0, rules.stderr);
      const parsed = JSON.parse(rules.stdout) as Record<string, unknown>[];
      assert.deepEqual(parsed[0], {
        selector: 'domain:evil.example',
        state: 'blocked',
        origin: 'file',
        note: 'known bad',
      });
      const { updatedBy, updatedAt, ...stored } = parsed[1]!;
      assert.deepEqual(stored, {
        selector: CIMD_URL,
        state: 'approved',
        tier: 'trusted',
        origin: 'stored',
        owner: 'platform team',
        note: 'reviewed in CHG-7',
      });
      assert.match(String(updatedBy), /^cli(:|$)/);
      assert.equal(typeof updatedAt, 'number');
      assert.equal(parsed.length, 2);

      const human = await gatehouse('clients', 'rules');
      const lines = human.stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'file\tdomain:evil.example\tblocked\t-\tnote=known bad');
      assert.match(
        lines[1]!,
        /^stored\thttps:\/\/client\.example\.test\/oauth\/client\.json\tapproved\ttrusted\towner=platform team\tnote=reviewed in CHG-7\tby=cli\S*\tat=\S+$/,
      );
    } finally {
      await store.close();
    }
  });

  it('refuses what it cannot do with a message and exit 2, never a stack trace', async () => {
    const fileBlock = await gatehouse('clients', 'unblock', 'domain:EVIL.example');
    assert.equal(fileBlock.code, EXIT_CODES.usage.code);
    assert.equal(
      fileBlock.stderr,
      'gatehouse: the block on domain:evil.example comes from the configuration file (governance.rules): change it there and restart\n',
    );
    const selector = await gatehouse('clients', 'block', 'https://*.example.com/client.json');
    assert.equal(selector.code, EXIT_CODES.usage.code);
    assert.match(
      selector.stderr,
      /^gatehouse: selector "https:\/\/\*\.example\.com\/client\.json" the host of a pattern is literal/,
    );
    const tier = await gatehouse('clients', 'approve', CIMD_URL, '--tier', 'gold');
    assert.equal(tier.code, EXIT_CODES.usage.code);
    assert.match(tier.stderr, /--tier must be one of trusted, verified-domain, self-asserted, local/);
    const missing = await gatehouse('clients', 'approve');
    assert.equal(missing.code, EXIT_CODES.usage.code);
    assert.match(missing.stderr, /usage: gatehouse clients approve <client_id\|rule>/);
    for (const result of [fileBlock, selector, tier, missing]) assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('warns when the configuration file still holds back what was approved', async () => {
    const approved = await gatehouse('clients', 'approve', 'domain:evil.example');
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.stdout, 'approved domain:evil.example\n');
    assert.match(
      approved.stderr,
      /WARNING: the configuration file's rule for domain:evil\.example sets blocked, and of equally specific rules the safer state wins/,
    );
  });

  it('clients list --json', async () => {
    const file = join(data, 'client.json');
    writeFileSync(
      file,
      JSON.stringify({
        client_id: 'static-app',
        client_name: 'Static app',
        redirect_uris: ['https://app.example.test/cb'],
        token_endpoint_auth_method: 'none',
      }),
    );
    assert.equal((await gatehouse('clients', 'add', '--file', file)).code, 0);
    const listed = await gatehouse('clients', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const clients = JSON.parse(listed.stdout) as Record<string, unknown>[];
    // Inventory entries (issue #14): what the list always said, and more (approval mode: pending).
    const [client] = clients;
    assert.deepEqual(
      [client?.clientId, client?.kind, client?.tokenEndpointAuthMethod, client?.clientName],
      ['static-app', 'static', 'none', 'Static app'],
    );
    assert.equal(typeof client?.createdAt, 'number');
    assert.equal(clients.length, 1);
    const human = await gatehouse('clients', 'list');
    assert.equal(human.stdout, 'static-app\tstatic\tnone\tStatic app\tpending\ttrusted\t-\tnever seen\n');
  });
});
