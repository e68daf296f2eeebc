/**
 * `gatehouse clients list|show|set-owner|blast-radius` (issue #14) in their own process against the
 * SQLite file a running server uses: the listing's columns, filters and `--json`; one client shown
 * with its reach; the operator's fields, audited with the operating system user as actor; the
 * blast radius of a client, a domain, a software_id and a user as a dry run, then `--revoke`
 * through the one lifecycle, after which the running server refuses the refresh. Refusals are exit
 * 2 with a message, never a stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  digest,
  openSqliteStore,
  type Store,
} from '@gatehouse-oauth/server';
import { CIMD_URL, cimdDocument, stubDocuments } from '../../server/test/support/stub-documents.ts';
import { COMMANDS } from '../src/cli-definitions.ts';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { run } from './support/cli-process.ts';

const ISSUER = 'https://as.example.test';
const INSTALLATION_A = 'https://app.example.test/callback';
const INSTALLATION_B = 'https://app.example.test/desktop';
const SUBDOMAIN_CLIENT = 'https://eu.client.example.test/oauth/client.json';
const DAY = 24 * 3_600_000;

describe('gatehouse clients list|show|set-owner|blast-radius: the spellings scripts use', () => {
  it('are defined with their arguments and flags', () => {
    const defined = (name: string) => COMMANDS.find((command) => command.name === name);
    const flags = (name: string) => (defined(name)?.options ?? []).map((option) => option.name);
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
    assert.equal(defined('clients show')?.arguments, '<client_id>');
    assert.deepEqual(flags('clients show'), ['json']);
    assert.equal(defined('clients set-owner')?.arguments, '<client_id>');
    assert.deepEqual(flags('clients set-owner'), ['owner', 'team', 'contact', 'label', 'note', 'json']);
    assert.equal(
      defined('clients set-owner')?.options?.find((option) => option.name === 'label')?.multiple,
      true,
    );
    assert.equal(defined('clients blast-radius')?.arguments, '[<client_id>]');
    assert.deepEqual(flags('clients blast-radius'), ['domain', 'software-id', 'user', 'revoke', 'json']);
  });
});

describe('gatehouse clients inventory commands beside a running server (one SQLite file)', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-inventory-'));
  let store: Store;
  let server: AuthorizationServer;
  const gatehouse = (...args: string[]) => run([...args, '--data', data]);
  /** A refresh token of `family`, as the token endpoint would have issued it. */
  const refreshTokenOf = async (family: string) => {
    const token = `refresh-${family}-${'x'.repeat(32)}`;
    await store.refreshTokens.create({
      digest: digest(token),
      familyId: family,
      issuedAt: Date.now(),
      expiresAt: Date.now() + DAY,
    });
    return token;
  };
  const refresh = (token: string) =>
    server.fetch(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: CIMD_URL }),
      }),
    );

  before(async () => {
    store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const documents = stubDocuments();
    documents.publish(
      CIMD_URL,
      cimdDocument({ redirect_uris: [INSTALLATION_A, INSTALLATION_B], software_id: 'agent-7' }),
    );
    documents.publish(
      SUBDOMAIN_CLIENT,
      cimdDocument({
        client_id: SUBDOMAIN_CLIENT,
        client_name: 'EU',
        redirect_uris: ['https://eu.client.example.test/cb'],
      }),
    );
    server = createAuthorizationServer({ issuer: ISSUER, store, outboundFetch: documents.fetch });
    for (const [clientId, redirectUri] of [
      [CIMD_URL, INSTALLATION_A],
      [SUBDOMAIN_CLIENT, 'https://eu.client.example.test/cb'],
    ] as const) {
      const response = await server.fetch(
        new Request(
          `${ISSUER}/authorize?${new URLSearchParams({
            client_id: clientId,
            redirect_uri: redirectUri,
            response_type: 'code',
            code_challenge: s256('a-verifier-of-enough-length-for-pkce-0123456789'),
            code_challenge_method: 'S256',
          })}`,
        ),
      );
      assert.equal(response.status, 303, 'a valid request: the client is recorded, and seen');
    }
    await store.users.create({
      id: 'user-alice',
      username: 'alice',
      passwordHash: 'x',
      createdAt: Date.now(),
    });
    await store.users.create({ id: 'user-bob', username: 'bob', passwordHash: 'x', createdAt: Date.now() });
    // Alice and Bob use the client from two installations; Bob the subdomain's too.
    for (const [user, clientId, redirectUri] of [
      ['user-alice', CIMD_URL, INSTALLATION_A],
      ['user-bob', CIMD_URL, INSTALLATION_B],
      ['user-bob', SUBDOMAIN_CLIENT, 'https://eu.client.example.test/cb'],
    ] as const) {
      const grant = await store.grants.upsert({
        id: `grant-${user}-${clientId.length}`,
        userId: user,
        clientId,
        redirectUri,
        scope: ['mcp:tools'],
        resources: ['https://mcp.example.test'],
        now: Date.now(),
      });
      await store.tokenFamilies.create({
        id: `family-${user}-${clientId.length}`,
        grantId: grant.id,
        clientId,
        userId: user,
        scope: ['mcp:tools'],
        resources: ['https://mcp.example.test'],
        authTime: Date.now(),
        createdAt: Date.now(),
        expiresAt: Date.now() + DAY,
      });
      await store.audit.append({ at: Date.now(), type: 'token.issued', clientId, userId: user });
    }
  });
  after(async () => {
    await server.stop();
    await store.close();
    rmSync(data, { recursive: true, force: true });
  });

  it('clients list: the old columns, then state, tier, owner, last seen; filters; --json', async () => {
    const listed = await gatehouse('clients', 'list');
    assert.equal(listed.code, EXIT_CODES.ok.code, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    const [id, kind, method, name, state, tier, owner, seen] = lines[0]!.split('\t');
    assert.deepEqual(
      [id, kind, method, name, state, tier, owner],
      [CIMD_URL, 'cimd', 'none', 'Example CIMD client', 'approved', 'verified-domain', '-'],
    );
    assert.match(seen ?? '', /^\d{4}-\d\d-\d\dT/);
    const only = async (...filters: string[]) =>
      (await gatehouse('clients', 'list', ...filters)).stdout
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\t')[0]);
    assert.deepEqual(await only('--domain', 'eu.client.example.test'), [SUBDOMAIN_CLIENT]);
    assert.deepEqual(await only('--domain', 'example.test'), [CIMD_URL, SUBDOMAIN_CLIENT]);
    assert.deepEqual(await only('--kind', 'static'), []);
    assert.deepEqual(await only('--state', 'blocked'), []);
    assert.deepEqual(await only('--tier', 'verified-domain', '--state', 'approved'), [
      CIMD_URL,
      SUBDOMAIN_CLIENT,
    ]);
    assert.deepEqual(await only('--idle-days', '1'), []);
    const json = await gatehouse('clients', 'list', '--json', '--kind', 'cimd');
    const entries = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      entries.map((entry) => [entry.clientId, entry.state, entry.tier, entry.owningHosts]),
      [
        [CIMD_URL, 'approved', 'verified-domain', ['client.example.test']],
        [SUBDOMAIN_CLIENT, 'approved', 'verified-domain', ['eu.client.example.test']],
      ],
    );
    assert.equal(typeof entries[0]?.lastAuthorizationAt, 'number');
    const bad = await gatehouse('clients', 'list', '--state', 'held');
    assert.equal(bad.code, EXIT_CODES.usage.code);
    assert.match(bad.stderr, /state must be one of approved, pending, blocked, not held/);
    const days = await gatehouse('clients', 'list', '--idle-days', 'ten');
    assert.equal(days.code, EXIT_CODES.usage.code);
    for (const result of [bad, days]) assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it("clients set-owner: sets, merges and clears the operator's fields, audited with the OS user", async () => {
    const set = await gatehouse(
      'clients',
      'set-owner',
      CIMD_URL,
      '--owner',
      'payments',
      '--team',
      'platform',
      '--label',
      'pci',
      '--label',
      'eu',
    );
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, `${CIMD_URL}: owner=payments  team=platform  labels=pci,eu\n`);
    const again = await gatehouse('clients', 'set-owner', CIMD_URL, '--owner', 'payments');
    assert.equal(again.stdout, `${CIMD_URL}: nothing changed\n`);
    const cleared = await gatehouse(
      'clients',
      'set-owner',
      CIMD_URL,
      '--team',
      '',
      '--contact',
      'ops@example.test',
    );
    assert.equal(cleared.stdout, `${CIMD_URL}: owner=payments  contact=ops@example.test  labels=pci,eu\n`);
    const [event] = await store.audit.list({ type: 'client.operator_fields_changed' });
    assert.match(event?.actor ?? '', /^cli(:|$)/);
    const detail = (event?.detail ?? {}) as { before?: { team?: string }; after?: object };
    assert.equal(detail.before?.team, 'platform');
    assert.equal('team' in (detail.after ?? { team: 'absent detail' }), false);
    const byOwner = await gatehouse('clients', 'list', '--owner', 'payments', '--label', 'eu');
    assert.deepEqual(
      byOwner.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 1).concat(line.split('\t')[6]!)),
      [[CIMD_URL, 'payments']],
    );
    for (const [args, message] of [
      [[CIMD_URL], /needs at least one of --owner/],
      [[CIMD_URL, '--label', 'has space'], /label 'has space' must be/],
      [
        ['https://nobody.example/c.json', '--owner', 'x'],
        /no client https:\/\/nobody\.example\/c\.json in the inventory/,
      ],
    ] as const) {
      const refused = await gatehouse('clients', 'set-owner', ...args);
      assert.equal(refused.code, EXIT_CODES.usage.code, args.join(' '));
      assert.match(refused.stderr, message);
      assert.doesNotMatch(refused.stderr, /\n\s+at /);
    }
  });

  it('clients show: who it is, its state, when it was seen and what it reaches', async () => {
    const shown = await gatehouse('clients', 'show', CIMD_URL);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^client {5}https:\/\/client\.example\.test\/oauth\/client\.json$/m);
    assert.match(shown.stdout, /^name {7}Example CIMD client \(self-asserted\)$/m);
    assert.match(shown.stdout, /^software {3}agent-7$/m);
    assert.match(shown.stdout, /^state {6}approved$/m);
    assert.match(
      shown.stdout,
      /^reach {6}2 users with live grants, 2 installations, 2 grants, 2 live sessions$/m,
    );
    assert.match(shown.stdout, /^tokens {5}2 issued in 24 hours, 2 in 7 days; last /m);
    const json = JSON.parse((await gatehouse('clients', 'show', CIMD_URL, '--json')).stdout) as {
      reach: Record<string, number>;
    };
    assert.equal(json.reach.usersWithLiveGrants, 2);
    const unknown = await gatehouse('clients', 'show', 'nobody');
    assert.equal(unknown.code, EXIT_CODES.usage.code);
    assert.match(unknown.stderr, /no client nobody in the inventory/);
  });

  it('clients blast-radius: a dry run for a client, a domain, a software_id and a user', async () => {
    const ofClient = await gatehouse('clients', 'blast-radius', CIMD_URL);
    assert.equal(ofClient.code, 0, ofClient.stderr);
    assert.match(
      ofClient.stdout,
      /^blast radius of client https:\/\/client\.example\.test\/oauth\/client\.json$/m,
    );
    assert.match(ofClient.stdout, /^users with live grants {4}2$/m);
    assert.match(ofClient.stdout, /^installations {13}2$/m);
    assert.match(ofClient.stdout, /^live sessions {13}2$/m);
    assert.match(ofClient.stdout, /^access tokens, last hour {2}2 /m);
    assert.match(ofClient.stdout, /^scopes {20}mcp:tools \(2 grants\)$/m);
    assert.match(ofClient.stdout, /^dry run: nothing was revoked/m);
    const ofDomain = JSON.parse(
      (await gatehouse('clients', 'blast-radius', '--domain', 'client.example.test', '--json')).stdout,
    ) as {
      clients: string[];
      usersWithLiveGrants: number;
      liveFamilies: number;
    };
    assert.deepEqual(ofDomain.clients, [CIMD_URL, SUBDOMAIN_CLIENT]);
    assert.deepEqual([ofDomain.usersWithLiveGrants, ofDomain.liveFamilies], [2, 3]);
    const ofSoftware = await gatehouse('clients', 'blast-radius', '--software-id', 'agent-7');
    assert.match(ofSoftware.stdout, /^clients {19}1: https:\/\/client\.example\.test\/oauth\/client\.json$/m);
    const ofUser = await gatehouse('clients', 'blast-radius', '--user', 'bob');
    assert.match(ofUser.stdout, /^blast radius of user bob \(user-bob\)$/m);
    assert.match(ofUser.stdout, /^grants {20}2$/m);
    for (const [args, message] of [
      [[], /exactly one of <client_id>, --domain, --software-id, --user/],
      [[CIMD_URL, '--user', 'bob'], /exactly one of/],
      [['--user', 'nobody'], /no user nobody/],
    ] as const) {
      const refused = await gatehouse('clients', 'blast-radius', ...args);
      assert.equal(refused.code, EXIT_CODES.usage.code, args.join(' '));
      assert.match(refused.stderr, message);
    }
    assert.equal((await store.tokenFamilies.listByClient(CIMD_URL)).filter((f) => f.revokedAt).length, 0);
  });

  it('clients blast-radius --revoke: counts, then every session of the domain revoked; the server refuses the refresh', async () => {
    const token = await refreshTokenOf(`family-user-alice-${CIMD_URL.length}`);
    const working = await refresh(token);
    assert.equal(working.status, 200, await working.clone().text());
    const next = ((await working.json()) as { refresh_token: string }).refresh_token;

    const revoked = await gatehouse('clients', 'blast-radius', '--domain', 'client.example.test', '--revoke');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /^live sessions {13}3$/m);
    assert.match(
      revoked.stdout,
      /^revoked 3 grants, 3 token families and every token its clients hold for themselves issued until now; now 0 live grants and 0 live sessions$/m,
    );
    for (const clientId of [CIMD_URL, SUBDOMAIN_CLIENT])
      for (const family of await store.tokenFamilies.listByClient(clientId))
        assert.equal(family.revokedReason, 'client_removed', family.id);
    const refused = await refresh(next);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    const [event] = await store.audit.list({ type: 'blast_radius.revoked' });
    assert.match(event?.actor ?? '', /^cli(:|$)/);
    assert.deepEqual(event?.detail?.target, { domain: 'client.example.test' });
    const before = (event?.detail ?? {}) as { before?: { live_families: number } };
    assert.equal(before.before?.live_families, 3);
    // A user's reach is their grants: the tokens clients hold for themselves are not theirs to end.
    const ofUser = await gatehouse('clients', 'blast-radius', '--user', 'bob', '--revoke');
    assert.equal(ofUser.code, 0, ofUser.stderr);
    assert.match(
      ofUser.stdout,
      /^revoked \d+ grants? and \d+ token famil(y|ies); now \d+ live grants? and \d+ live sessions?$/m,
    );
  });
});
