/**
 * Issue #16: a start that cannot succeed ends in one line saying what is wrong and what to do,
 * with its documented exit code (exit-codes.ts), no stack trace, and nothing created on disk.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { type Finished, run } from './support/cli-process.ts';

describe('gatehouse serve: start-up errors', () => {
  let dir: string;
  let data: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-startup-'));
    data = join(dir, 'data');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The failure as an operator sees it: one line, the exit code, no stack, no data directory. */
  function assertRefused(result: Finished, code: number, message: RegExp): void {
    assert.equal(result.code, code, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line, not:\n${result.stderr}`);
    assert.match(lines[0]!, /^gatehouse: /);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(data), false, 'the data directory was not created');
  }

  it('says PostgreSQL cannot be reached, and where, without the password or a stack (exit 3)', async () => {
    // A port nothing listens on: the connection is refused at once, on loopback.
    const closed: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)),
    );
    await new Promise((resolve) => closed.close(resolve));
    const result = await run(['serve', '--port', '0', '--data', data], {
      env: {
        GATEHOUSE_STORE: 'postgres',
        GATEHOUSE_POSTGRES__URL: `postgresql://gatehouse:s3cret-pw@127.0.0.1:${port}/gatehouse`,
      },
    });
    assertRefused(
      result,
      EXIT_CODES.startup.code,
      new RegExp(
        `cannot open PostgreSQL at 127\\.0\\.0\\.1:${port}/gatehouse: it refused the connection.*postgres\\.url`,
      ),
    );
    assert.doesNotMatch(result.stderr, /s3cret-pw/);
  });

  it('says the port is in use and which setting to change (exit 3)', async () => {
    const occupied: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      occupied.listen(0, '127.0.0.1', () => resolve((occupied.address() as { port: number }).port)),
    );
    try {
      const result = await run(['serve', '--port', String(port), '--data', data]);
      assertRefused(
        result,
        EXIT_CODES.startup.code,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .*--port`),
      );
    } finally {
      occupied.close();
    }
  });

  it('says a TLS file is missing, naming it and the flag (exit 3)', async () => {
    const key = join(dir, 'key.pem');
    writeFileSync(key, 'not used');
    const missing = join(dir, 'missing-cert.pem');
    const result = await run([
      'serve',
      '--port',
      '0',
      '--data',
      data,
      '--tls-cert',
      missing,
      '--tls-key',
      key,
    ]);
    assertRefused(
      result,
      EXIT_CODES.startup.code,
      new RegExp(`cannot read the TLS certificate chain ${missing}: no such file; correct --tls-cert`),
    );
  });

  it('says a TLS file cannot be read (exit 3)', async () => {
    const cert = join(dir, 'cert-directory');
    mkdirSync(cert, { recursive: true });
    const key = join(dir, 'key.pem');
    writeFileSync(key, 'not used');
    const result = await run(['serve', '--port', '0', '--data', data, '--tls-cert', cert, '--tls-key', key]);
    assertRefused(
      result,
      EXIT_CODES.startup.code,
      /cannot read the TLS certificate chain .*: it is a directory/,
    );
  });

  // Permission bits do not stop root, so this case exists only for other users (CI runs as root;
  // there the directory case above covers the same read failure path).
  if (process.getuid?.() !== 0)
    it('says a TLS file is not readable by this user (exit 3)', async () => {
      const cert = join(dir, 'unreadable-cert.pem');
      writeFileSync(cert, 'secret');
      chmodSync(cert, 0o000);
      const result = await run([
        'serve',
        '--port',
        '0',
        '--data',
        data,
        '--tls-cert',
        cert,
        '--tls-key',
        cert,
      ]);
      assertRefused(
        result,
        EXIT_CODES.startup.code,
        /cannot read the TLS certificate chain .*: permission denied/,
      );
    });

  it('says TLS files that are not PEM cannot be used (exit 3)', async () => {
    const cert = join(dir, 'garbage-cert.pem');
    const key = join(dir, 'garbage-key.pem');
    writeFileSync(cert, 'not a certificate');
    writeFileSync(key, 'not a key');
    const result = await run(['serve', '--port', '0', '--data', data, '--tls-cert', cert, '--tls-key', key]);
    assertRefused(result, EXIT_CODES.startup.code, /the TLS certificate .* and key .* cannot be used .*PEM/);
  });

  it('says a bad configuration value in one line (exit 2)', async () => {
    const result = await run(['serve', '--port', 'eighty', '--data', data]);
    assertRefused(
      result,
      EXIT_CODES.usage.code,
      /invalid configuration: --port: expected a number, got "eighty"/,
    );
  });

  it('refuses a development switch on a server that does not listen on loopback (exit 2)', async () => {
    const result = await run(
      ['serve', '--host', '0.0.0.0', '--issuer', 'https://as.example', '--port', '0', '--data', data],
      { env: { GATEHOUSE_REGISTRATION__DEV_LOOPBACK_URIS: 'true' } },
    );
    assertRefused(
      result,
      EXIT_CODES.usage.code,
      /registration\.dev_loopback_uris is for development only and is refused unless the server listens on a loopback address/,
    );
  });

  it('says an unknown key of the config file, with the key it probably meant (exit 2)', async () => {
    const file = join(dir, 'gatehouse.json');
    writeFileSync(file, JSON.stringify({ isuer: 'https://as.example' }));
    const result = await run(['serve', '--config', file, '--data', data]);
    assertRefused(result, EXIT_CODES.usage.code, /unknown setting isuer; did you mean issuer\?/);
  });

  it('removes the data directory when the server refuses its settings after opening the store (exit 2)', async () => {
    const result = await run(
      ['serve', '--port', '0', '--data', data, '--profile', 'atproto', '--issuer', 'https://as.example'],
      { env: { GATEHOUSE_DPOP__REQUIRED_AT_PAR: 'false' } },
    );
    assertRefused(result, EXIT_CODES.usage.code, /requiredAtPar cannot be false.*AT-11/);
  });
});
