/**
 * `npm run dev:ca` (scripts/dev-ca.ts): the certificate it makes for a test host is accepted by a
 * TLS client that trusts only its `ca.pem`, for that host name and no other; a second run reuses
 * the CA; private keys are written for the owner only; a bad host name is a usage error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { testLookup } from './support/test-hosts.ts';

const SCRIPT = new URL('../scripts/dev-ca.ts', import.meta.url).pathname;

function devCa(args: string[]) {
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', SCRIPT, ...args], {
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Serves the certificate on loopback and fetches `https://<name>` trusting only ca.pem. */
async function handshake(dir: string, file: string, name: string): Promise<string> {
  const server = createServer(
    { cert: readFileSync(join(dir, `${file}.pem`)), key: readFileSync(join(dir, `${file}-key.pem`)) },
    (_request, response) => response.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dispatcher = new Agent({
    connect: { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), lookup: testLookup as never },
  });
  try {
    const { port } = server.address() as AddressInfo;
    return await (await fetch(`https://${name}:${port}/`, { dispatcher })).text();
  } finally {
    await dispatcher.close();
    server.close();
    server.closeAllConnections();
  }
}

describe('npm run dev:ca', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dev-ca-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a CA and a certificate a client trusting only that CA accepts, for that name only', async () => {
    const made = devCa(['--out', dir, 'client.test', 'alt.client.test']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /made a new CA/);
    assert.equal(await handshake(dir, 'client.test', 'client.test'), 'ok');
    assert.equal(await handshake(dir, 'client.test', 'alt.client.test'), 'ok');
    await assert.rejects(handshake(dir, 'client.test', 'other.test'), 'not valid for another name');
    for (const key of ['ca-key.pem', 'client.test-key.pem']) {
      assert.equal(statSync(join(dir, key)).mode & 0o077, 0, `${key} is readable by its owner only`);
    }
  });

  it('reuses the CA on the next run, so one ca.pem covers every host', async () => {
    const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const again = devCa(['--out', dir, 'other.test']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reused the CA/);
    assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), ca);
    assert.equal(await handshake(dir, 'other.test', 'other.test'), 'ok');
  });

  it('refuses a missing or malformed host name with exit code 2', () => {
    for (const args of [
      ['--out', dir],
      ['--out', dir, 'not a host'],
      ['--out', dir, 'bad_.test'],
    ]) {
      const refused = devCa(args);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, /^dev:ca: (usage|.* is not a DNS host name)/);
    }
  });
});
