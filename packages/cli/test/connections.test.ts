/**
 * `gatehouse users connections`, `clients connections`, `connections revoke|revoke-installation`
 * (decision 0044, docs/inventory.md "Connections") in their own process, on the SQLite file a
 * server would use: one loopback client signed in on two machines under one grant lists as one
 * connection with two installations (each told apart by its DPoP key); one machine is revoked
 * alone, then the connection; both audited with the operating system user as actor. An unknown
 * user, client, grant or installation is refused with exit 2 and one line, and changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installationKeyOf, openSqliteStore, type Store } from '@gatehouse-oauth/server';
import { COMMANDS } from '../src/cli-definitions.ts';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { run } from './support/cli-process.ts';

const CLIENT = 'cli-app';
const REDIRECT = 'http://127.0.0.1/callback';
const GRANT = 'grant-alice-cli-app';
const DAY = 24 * 3_600_000;
const GRANT_KEYS = { clientId: CLIENT, redirectUri: REDIRECT };
const LAPTOP = installationKeyOf(GRANT_KEYS, { id: 'family-laptop', dpopJkt: 'laptop-jkt' });
const DESKTOP = installationKeyOf(GRANT_KEYS, { id: 'family-desktop', dpopJkt: 'desktop-jkt' });

interface InstallationJson {
  key: string;
  dpopJkt?: string;
  liveSessions: number;
}
interface ConnectionsJson {
  userId?: string;
  username?: string;
  clientId?: string;
  connections: {
    grantId: string;
    username?: string;
    clientName?: string;
    redirectUri: string;
    scope: string[];
    liveSessions: number;
    installations: InstallationJson[];
  }[];
}

describe('gatehouse connections commands: the spellings scripts use', () => {
  it('are defined with their arguments and --json', () => {
    const defined = (name: string) => COMMANDS.find((command) => command.name === name);
    for (const [name, args] of [
      ['users connections', '<name>'],
      ['clients connections', '<client_id>'],
      ['connections revoke', '<grant_id>'],
      ['connections revoke-installation', '<grant_id> <installation-key>'],
    ] as const) {
      assert.equal(defined(name)?.arguments, args, name);
      assert.deepEqual(
        (defined(name)?.options ?? []).map((option) => option.name),
        ['json'],
        name,
      );
    }
  });
});

describe('gatehouse connections commands on a SQLite file', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-connections-'));
  let store: Store;
  const gatehouse = (...args: string[]) => run([...args, '--data', data]);
  const liveFamilies = async () =>
    (await store.tokenFamilies.listByGrant(GRANT))
      .filter((family) => family.revokedAt === undefined)
      .map((family) => family.id)
      .sort();

  before(async () => {
    store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const now = Date.now();
    await store.clients.put({
      clientId: CLIENT,
      kind: 'static',
      metadata: {
        client_id: CLIENT,
        client_name: 'CLI App',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      createdAt: now,
      updatedAt: now,
    });
    await store.users.create({ id: 'user-alice', username: 'alice', passwordHash: 'x', createdAt: now });
    await store.grants.upsert({
      id: GRANT,
      userId: 'user-alice',
      clientId: CLIENT,
      redirectUri: REDIRECT,
      scope: ['mcp:tools'],
      resources: ['https://mcp.example.test'],
      now,
    });
    // The same app on two machines: one loopback redirect, two DPoP keys (decision 0044).
    for (const [id, dpopJkt, at] of [
      ['family-laptop', 'laptop-jkt', now - 2_000],
      ['family-desktop', 'desktop-jkt', now - 1_000],
    ] as const) {
      await store.tokenFamilies.create({
        id,
        grantId: GRANT,
        clientId: CLIENT,
        userId: 'user-alice',
        scope: ['mcp:tools'],
        resources: ['https://mcp.example.test'],
        authTime: at,
        createdAt: at,
        expiresAt: now + DAY,
        dpopJkt,
      });
    }
  });
  after(async () => {
    await store.close();
    rmSync(data, { recursive: true, force: true });
  });

  it('users connections: each grant on one line, each installation under it; --json', async () => {
    const listed = await gatehouse('users', 'connections', 'alice');
    assert.equal(listed.code, EXIT_CODES.ok.code, listed.stderr);
    const [heading, grant, ...installations] = listed.stdout.trimEnd().split('\n');
    assert.equal(heading, 'connections of user alice (user-alice): 1 live grant');
    const [grantId, user, client, redirect, scope, created, sessions, last] = grant!.split('\t');
    assert.deepEqual(
      [grantId, user, client, redirect, scope, sessions],
      [GRANT, 'alice', CLIENT, REDIRECT, 'mcp:tools', '2 live sessions'],
    );
    assert.match(created ?? '', /^created \d{4}-\d\d-\d\dT/);
    assert.match(last ?? '', /^last \d{4}-\d\d-\d\dT/);
    assert.deepEqual(
      installations.map((line) => line.split('\t').slice(0, 5)),
      [
        ['', 'installation', LAPTOP, 'dpop laptop-jkt', '1 live session'],
        ['', 'installation', DESKTOP, 'dpop desktop-jkt', '1 live session'],
      ],
    );

    const json = await gatehouse('users', 'connections', 'user-alice', '--json');
    assert.equal(json.code, EXIT_CODES.ok.code, json.stderr);
    const parsed = JSON.parse(json.stdout) as ConnectionsJson;
    assert.deepEqual([parsed.userId, parsed.username], ['user-alice', 'alice']);
    const [connection] = parsed.connections;
    assert.deepEqual(
      [connection?.grantId, connection?.clientName, connection?.redirectUri, connection?.liveSessions],
      [GRANT, 'CLI App', REDIRECT, 2],
    );
    assert.deepEqual(
      connection?.installations.map(({ key, dpopJkt, liveSessions }) => [key, dpopJkt, liveSessions]),
      [
        [LAPTOP, 'laptop-jkt', 1],
        [DESKTOP, 'desktop-jkt', 1],
      ],
    );
  });

  it('clients connections: the same grant, by user; --json', async () => {
    const listed = await gatehouse('clients', 'connections', CLIENT);
    assert.equal(listed.code, EXIT_CODES.ok.code, listed.stderr);
    assert.match(listed.stdout, /^connections of client cli-app: 1 live grant\n/);
    assert.match(listed.stdout, new RegExp(`^${GRANT}\talice\tcli-app\t`, 'm'));
    const parsed = JSON.parse(
      (await gatehouse('clients', 'connections', CLIENT, '--json')).stdout,
    ) as ConnectionsJson;
    assert.equal(parsed.clientId, CLIENT);
    assert.deepEqual(
      parsed.connections.map((connection) => [connection.username, connection.installations.length]),
      [['alice', 2]],
    );
  });

  it('refuses an unknown user, client, grant or installation: exit 2, one line, nothing changed', async () => {
    for (const [args, message] of [
      [
        ['users', 'connections', 'nobody'],
        'no user nobody (by username or id), and no grant of such a user id',
      ],
      [['clients', 'connections', 'no-such-client'], 'no client no-such-client in the inventory'],
      [['connections', 'revoke', 'no-such-grant'], 'no live grant no-such-grant'],
      [['connections', 'revoke-installation', 'no-such-grant', LAPTOP], 'no live grant no-such-grant'],
      [
        ['connections', 'revoke-installation', GRANT, '["cli-app","http://127.0.0.1/callback","dpop:other"]'],
        `grant ${GRANT} holds no installation with that key`,
      ],
    ] as const) {
      const refused = await gatehouse(...args);
      assert.equal(refused.code, EXIT_CODES.usage.code, args.join(' '));
      assert.equal(refused.stderr, `gatehouse: ${message}\n`, args.join(' '));
      assert.equal(refused.stdout, '');
    }
    const usage = await gatehouse('connections', 'revoke');
    assert.equal(usage.code, EXIT_CODES.usage.code);
    assert.match(usage.stderr, /^gatehouse: usage: gatehouse users connections <name>/);
    assert.deepEqual(await liveFamilies(), ['family-desktop', 'family-laptop']);
    assert.deepEqual(await store.audit.list({ type: 'installation.revoked' }), []);
  });

  it('connections revoke-installation: signs one machine out, the other keeps its session; audited', async () => {
    const revoked = await gatehouse('connections', 'revoke-installation', GRANT, LAPTOP);
    assert.equal(revoked.code, EXIT_CODES.ok.code, revoked.stderr);
    assert.equal(
      revoked.stdout,
      `revoked installation ${LAPTOP} of connection ${GRANT}; ended 1 live session\n`,
    );
    assert.deepEqual(await liveFamilies(), ['family-desktop']);
    assert.equal((await store.grants.get(GRANT))?.revokedAt, undefined, 'the desktop still holds the grant');
    const [event] = await store.audit.list({ type: 'installation.revoked' });
    assert.match(event?.actor ?? '', /^cli(:|$)/);
    assert.equal(event?.detail?.installation, LAPTOP);
    const again = await gatehouse('connections', 'revoke-installation', GRANT, LAPTOP, '--json');
    assert.equal(again.code, EXIT_CODES.usage.code, 'the laptop is no installation of the grant any more');
  });

  it('connections revoke: the grant and its last session; audited; listed no more', async () => {
    const revoked = await gatehouse('connections', 'revoke', GRANT, '--json');
    assert.equal(revoked.code, EXIT_CODES.ok.code, revoked.stderr);
    const view = JSON.parse(revoked.stdout) as ConnectionsJson['connections'][number];
    assert.deepEqual([view.grantId, view.liveSessions], [GRANT, 1]);
    assert.deepEqual(await liveFamilies(), []);
    assert.notEqual((await store.grants.get(GRANT))?.revokedAt, undefined);
    const [event] = await store.audit.list({ type: 'grant.revoked' });
    assert.match(event?.actor ?? '', /^cli(:|$)/);
    const listed = await gatehouse('users', 'connections', 'alice');
    assert.equal(listed.stdout, 'connections of user alice (user-alice): 0 live grants\n');
    const again = await gatehouse('connections', 'revoke', GRANT);
    assert.equal(again.code, EXIT_CODES.usage.code);
    assert.equal(again.stderr, `gatehouse: no live grant ${GRANT}\n`);
  });
});
