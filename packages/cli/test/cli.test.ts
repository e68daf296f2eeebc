/**
 * The `gatehouse` command as a newcomer runs it: real processes, a fresh data directory, the
 * README's quick start (serve, users add, clients add, the quick start client) through to a token.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPage, UserAgent } from '../../../test/support/user-agent.ts';
import { CLI, ROOT, run, start } from './support/cli-process.ts';

describe('gatehouse CLI', () => {
  let data: string;
  before(() => {
    data = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('rejects unknown flags and unknown settings by name', async () => {
    const flag = await run(['serve', '--prot', '80']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--prot/);
    const config = join(data, 'bad.json');
    writeFileSync(config, JSON.stringify({ port: 8080, isuer: 'https://x.example' }));
    const file = await run(['serve', '--config', config]);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /unknown setting isuer/);
    const value = await run(['serve', '--port', 'eighty']);
    assert.equal(value.code, 2);
    assert.match(value.stderr, /port/);
    assert.doesNotMatch(`${flag.stderr}${file.stderr}${value.stderr}`, /\n\s+at /, 'no stack traces');
  });

  it('warns about an unknown GATEHOUSE_ variable with the nearest setting, and runs the command', async () => {
    const result = await run(['users', 'list'], { env: { GATEHOUSE_DATA: data, GATEHOUSE_PORTT: '1' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stderr,
      'gatehouse: WARNING: GATEHOUSE_PORTT is not a Gatehouse setting and is ignored; the nearest setting is GATEHOUSE_PORT\n',
    );
  });

  it('prints its version', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as {
      version: string;
    };
    const result = await run(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${manifest.version}\n`);
  });

  it('refuses the development fetch switches unless the server listens on loopback (CIMD-FETCH-7)', async () => {
    const offLoopback = await run([
      'serve',
      '--host',
      '0.0.0.0',
      '--issuer',
      'https://as.example',
      '--dev-loopback-fetch',
    ]);
    assert.equal(offLoopback.code, 2);
    assert.match(offLoopback.stderr, /development only.*loopback/);
    const hostsAlone = await run(['serve', '--dev-host', 'client.test=127.0.0.1']);
    assert.equal(hostsAlone.code, 2);
    assert.match(hostsAlone.stderr, /--dev-loopback-fetch/);
    const notLoopback = await run(['serve', '--dev-loopback-fetch', '--dev-host', 'client.test=10.0.0.1']);
    assert.equal(notLoopback.code, 2);
    assert.match(notLoopback.stderr, /must map to a loopback address/);
  });

  it('announces the development fetch switches at every start', async () => {
    const server = start(
      [
        CLI,
        'serve',
        '--port',
        '0',
        '--store',
        'memory',
        '--dev-loopback-fetch',
        '--dev-host',
        'client.test=127.0.0.1',
      ],
      /Stop with Ctrl-C/,
    );
    try {
      await server.matched;
      assert.match(server.output(), /WARNING: DEVELOPMENT MODE: outbound fetches may reach this machine/);
    } finally {
      server.child.kill();
    }
  });

  it('adds users from standard input only, and refuses duplicates', async () => {
    const env = { GATEHOUSE_DATA: data };
    const noStdin = await run(['users', 'add', 'bob'], { env });
    assert.equal(noStdin.code, 2);
    assert.match(noStdin.stderr, /--password-stdin/);
    const added = await run(['users', 'add', 'bob', '--password-stdin'], { env, input: 'a-long-password\n' });
    assert.equal(added.code, 0, added.stderr);
    const again = await run(['users', 'add', 'bob', '--password-stdin'], { env, input: 'a-long-password\n' });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    assert.match((await run(['users', 'list'], { env })).stdout, /^bob\t/m);
  });

  it('adds pre-registered clients, printing a generated secret once, and refuses bad metadata', async () => {
    const env = { GATEHOUSE_DATA: data };
    const file = join(data, 'confidential.json');
    writeFileSync(
      file,
      JSON.stringify({
        client_id: 'svc',
        redirect_uris: ['https://svc.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    );
    const added = await run(['clients', 'add', '--file', file], { env });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /client_secret: [A-Za-z0-9_-]{43}\n/);
    const bad = join(data, 'bad-client.json');
    writeFileSync(
      bad,
      JSON.stringify({ client_id: 'https://looks.like/cimd', redirect_uris: ['https://x.example/cb'] }),
    );
    const refused = await run(['clients', 'add', '--file', bad], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /must not be a URL/);
    const http = join(data, 'http-client.json');
    writeFileSync(
      http,
      JSON.stringify({
        client_id: 'h',
        redirect_uris: ['http://evil.example/cb'],
        token_endpoint_auth_method: 'none',
      }),
    );
    assert.match((await run(['clients', 'add', '--file', http], { env })).stderr, /invalid_redirect_uri/);
  });

  it('rotates keys', async () => {
    const env = { GATEHOUSE_DATA: data };
    await run(['keys', 'rotate'], { env });
    const rotated = await run(['keys', 'rotate'], { env });
    assert.equal(rotated.code, 0, rotated.stderr);
    const list = (await run(['keys', 'list'], { env })).stdout.trim().split('\n');
    assert.equal(list.length, 2);
    assert.equal(list.filter((line) => line.endsWith('active')).length, 1);
  });

  it('runs the README quick start: serve, add a user and the quick start client, get a token', async () => {
    const quickData = mkdtempSync(join(tmpdir(), 'gatehouse-quickstart-'));
    const children: ChildProcess[] = [];
    try {
      const server = start(
        [CLI, 'serve', '--port', '0', '--data', quickData, '--log-level', 'warn'],
        /Issuer: (http:\/\/localhost:\d+)[\s\S]*Stop with Ctrl-C/,
      );
      children.push(server.child);
      const issuer = (await server.matched)[1]!;
      assert.match(server.output(), /No users yet/);
      assert.match(server.output(), /Client ID Metadata Documents .*dynamic registration \(open\)/);
      const env = { GATEHOUSE_DATA: quickData };
      assert.equal(
        (await run(['users', 'add', 'alice', '--password-stdin'], { env, input: 'a-long-password' })).code,
        0,
      );
      assert.equal(
        (await run(['clients', 'add', '--file', 'examples/quickstart/client.json'], { env })).code,
        0,
      );

      const quickstart = start(
        ['examples/quickstart/get-token.ts', issuer],
        /(http:\/\/localhost:\d+\/authorize\?\S+)/,
      );
      children.push(quickstart.child);
      const authorizationUrl = (await quickstart.matched)[1]!;
      const ua = new UserAgent((url, init) => fetch(url, init));
      const atClient = (location: string) => !location.startsWith(`${issuer}/`);
      const login = await ua.navigate(authorizationUrl, atClient);
      assert.ok(isPage(login));
      const consent = await ua.submit(login, { username: 'alice', password: 'a-long-password' }, atClient);
      assert.ok(isPage(consent));
      const done = await ua.submit(consent, {}, atClient, 'allow');
      assert.ok(!isPage(done));
      await fetch(done.redirectedTo); // the browser arrives at the quick start's loopback listener
      await new Promise((resolve) => quickstart.child.on('exit', resolve));
      assert.match(quickstart.output(), /"token_type": "bearer"/);
      assert.match(
        quickstart.output(),
        /"aud": "http:\/\/localhost:\d+"/,
        'no resource configured: the token is for the issuer',
      );
    } finally {
      for (const child of children) child.kill();
      rmSync(quickData, { recursive: true, force: true });
    }
  });
});
