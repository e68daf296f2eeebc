/**
 * `gatehouse users …` (issue #16) in its own process against the SQLite file a running server uses:
 * disable stops the account's grants and enable restores them, remove revokes them, set-password
 * and set-sub take effect at the next login and token, and every change is audited with its actor.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import {
  createAuthorizationServer,
  openSqliteStore,
  prepareStaticClient,
  type Store,
} from '@gatehouse-oauth/server';
import { decodeJwt } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../test/support/user-agent.ts';
import { run } from './support/cli-process.ts';

const ISSUER = 'https://as.example.test';
const REDIRECT = 'https://app.example.test/callback';
const VERIFIER = 'a-verifier-of-enough-length-for-pkce-0123456789';

describe('gatehouse users beside a running server (one SQLite file)', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-users-'));
  let store: Store;
  let server: ReturnType<typeof createAuthorizationServer>;
  const users = (args: string[], input?: string) =>
    run(['users', ...args, '--data', data], input === undefined ? {} : { input });
  const send = (url: string, init: RequestInit) => server.fetch(new Request(url, init));

  before(async () => {
    // The CLI creates the database (and migrates it) before the server opens it.
    const added = await users(['add', 'alice', '--password-stdin'], 'first-password\n');
    assert.equal(added.code, 0, added.stderr);
    store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const client = {
      client_id: 'app',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    };
    await store.clients.put(prepareStaticClient(client, Date.now()).record);
    server = createAuthorizationServer({ issuer: ISSUER, store });
  });
  after(async () => {
    await server.stop();
    await store.close();
    rmSync(data, { recursive: true, force: true });
  });

  async function tokensAs(username: string, password: string) {
    const url = `${ISSUER}/authorize?${new URLSearchParams({
      client_id: 'app',
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: s256(VERIFIER),
      code_challenge_method: 'S256',
    })}`;
    const callback = await authorizeInBrowser(new UserAgent(send), url, ISSUER, { username, password });
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code: ${callback}`);
    const body = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
    });
    return body as { access_token: string; refresh_token: string };
  }

  async function token(params: Record<string, string>): Promise<Record<string, string>> {
    const response = await send(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'app', ...params }).toString(),
    });
    return (await response.json()) as Record<string, string>;
  }

  const refresh = (refreshToken: string) =>
    token({ grant_type: 'refresh_token', refresh_token: refreshToken });

  async function lastEvent(type: string) {
    const [event] = await store.audit.list({ type });
    assert.ok(event, `no ${type} event`);
    assert.match(event.actor ?? '', /^cli(:|$)/, 'audited with the operating system user as actor');
    return event;
  }

  it('disable stops the grants (user_disabled), enable restores them', async () => {
    const { refresh_token: current } = await tokensAs('alice', 'first-password');
    assert.equal((await users(['disable', 'alice'])).code, 0);
    assert.match((await users(['list'])).stdout, /^alice\t.*\tdisabled$/m);
    assert.equal((await lastEvent('user.disabled')).userId, (await store.users.findByUsername('alice'))!.id);
    const refused = await refresh(current);
    assert.equal(refused.error, 'invalid_grant');
    assert.match(refused.error_description ?? '', /disabled/);
    await assert.rejects(tokensAs('alice', 'first-password'), 'a disabled account cannot log in');

    assert.equal((await users(['enable', 'alice'])).code, 0);
    await lastEvent('user.enabled');
    const refreshed = await refresh(current);
    assert.ok(refreshed.access_token, JSON.stringify(refreshed));
  });

  it('set-password replaces the password; set-sub changes the subject of new tokens', async () => {
    const changed = await users(['set-password', 'alice', '--password-stdin'], 'second-password\n');
    assert.equal(changed.code, 0, changed.stderr);
    await lastEvent('user.password_set');
    await assert.rejects(tokensAs('alice', 'first-password'));

    const set = await users(['set-sub', 'alice', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await lastEvent('user.sub_set')).detail?.sub, 'did:plc:ewvi7nxzyoun6zhxrhs64oiz');
    const { access_token } = await tokensAs('alice', 'second-password');
    assert.equal(decodeJwt(access_token).sub, 'did:plc:ewvi7nxzyoun6zhxrhs64oiz');
    assert.match((await users(['list'])).stdout, /^alice\t.*\tsub=did:plc:ewvi7nxzyoun6zhxrhs64oiz$/m);
  });

  it('add --sub refuses a subject another account has; set-sub too', async () => {
    const clash = await users(
      ['add', 'bob', '--sub', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--password-stdin'],
      'bobs-password',
    );
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /another user already has the subject did:plc:ewvi7nxzyoun6zhxrhs64oiz/);
    assert.equal(await store.users.findByUsername('bob'), undefined);
    const bob = await users(
      ['add', 'bob', '--sub', 'did:web:bob.example.test', '--password-stdin'],
      'bobs-password',
    );
    assert.equal(bob.code, 0, bob.stderr);
    assert.equal((await store.users.findByUsername('bob'))?.sub, 'did:web:bob.example.test');
    const taken = await users(['set-sub', 'bob', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz']);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /another user already has the subject/);
  });

  it('add --admin, grant-admin and revoke-admin set the admin role; list shows it; each is audited', async () => {
    const added = await users(['add', 'root', '--admin', '--password-stdin'], 'roots-password\n');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added user root \(admin\)/);
    assert.equal((await store.users.findByUsername('root'))?.admin, true);
    assert.equal((await lastEvent('user.added')).detail?.admin, true);
    const revoked = await users(['revoke-admin', 'root']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await store.users.findByUsername('root'))?.admin, undefined);
    const event = await lastEvent('user.admin_revoked');
    assert.match(event.actor ?? '', /^cli/);
    assert.deepEqual(event.detail?.before, { admin: true });
    assert.deepEqual(event.detail?.after, { admin: false });
    const granted = await users(['grant-admin', 'root']);
    assert.equal(granted.code, 0, granted.stderr);
    assert.deepEqual((await lastEvent('user.admin_granted')).detail?.after, { admin: true });
    const listed = await users(['list', '--json']);
    const rows = JSON.parse(listed.stdout) as { username: string; admin: boolean }[];
    assert.equal(rows.find((row) => row.username === 'root')?.admin, true);
    assert.equal(rows.find((row) => row.username === 'alice')?.admin, false);
    assert.match((await users(['list'])).stdout, /^root\t.*\tadmin$/m);
    assert.match((await users(['grant-admin', 'nobody'])).stderr, /no user nobody/);
  });

  it('remove revokes the grants and tokens (user_unknown), and is audited', async () => {
    const { refresh_token } = await tokensAs('alice', 'second-password');
    const removed = await users(['remove', 'alice']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^removed user alice; revoked 1 grant\n$/);
    assert.equal((await lastEvent('user.removed')).detail?.grants_revoked, 1);
    assert.equal(await store.users.findByUsername('alice'), undefined);
    const refused = await refresh(refresh_token);
    assert.equal(refused.error, 'invalid_grant');
    // The family was revoked with the grant, which the token endpoint checks first.
    assert.match(refused.error_description ?? '', /revoked/);
  });

  it('refuses bad input with a usage error (exit code 2) and no stack trace', async () => {
    const cases: [string[], string | undefined, RegExp][] = [
      [['remove', 'nobody'], undefined, /no user nobody/],
      [['disable', 'nobody'], undefined, /no user nobody/],
      [['set-password', 'bob'], undefined, /--password-stdin/],
      [['set-password', 'bob', '--password-stdin'], 'short', /at least 8 characters/],
      [['set-sub', 'bob'], undefined, /usage: gatehouse users/],
      [['set-sub', 'bob', 'has space'], undefined, /printable ASCII/],
      [['set-sub', 'bob', 'x'.repeat(257)], undefined, /1-256/],
      [['set-sub', 'bob', 'not-a-did', '--profile', 'atproto'], undefined, /needs a DID/],
      [
        ['add', 'carol', '--sub', 'did:plc:', '--profile', 'atproto', '--password-stdin'],
        'carols-password',
        /needs a DID/,
      ],
      [['frobnicate', 'bob'], undefined, /usage: gatehouse users/],
      [['enable', 'bob', 'extra'], undefined, /usage: gatehouse users/],
    ];
    for (const [args, input, message] of cases) {
      const result = await users(args, input);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
    assert.equal(await store.users.findByUsername('carol'), undefined);
    assert.equal((await store.users.findByUsername('bob'))?.sub, 'did:web:bob.example.test');
  });
});
