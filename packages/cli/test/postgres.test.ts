/**
 * `store: postgres` from the command line, against a real throwaway PostgreSQL: migrate, add a
 * user, and two `gatehouse serve` instances on one database behind one issuer, publishing the
 * same signing keys (docs/deployment.md: keys live in the store) and both seeing the user.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startPostgres } from '../../store-postgres/test/support/postgres-server.ts';
import { CLI, run, start } from './support/cli-process.ts';

const postgres = await startPostgres();
if (postgres === undefined)
  console.log('# SKIP postgres: no PostgreSQL binaries on this machine (CI installs them)');

describe('gatehouse on PostgreSQL', { skip: postgres === undefined }, () => {
  const children: ChildProcess[] = [];
  let env: Record<string, string>;

  before(() => {
    env = {
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_POSTGRES__URL: postgres!.connectionString,
      GATEHOUSE_POSTGRES__SCHEMA: 'cli_test',
    };
  });
  after(async () => {
    for (const child of children) child.kill();
    await postgres?.stop();
  });

  it('refuses store postgres without a URL, by name', async () => {
    const result = await run(['migrate'], { env: { GATEHOUSE_STORE: 'postgres' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /postgres\.url/);
  });

  it('migrates, adds a user, and serves two instances that share keys and users', async () => {
    const migrated = await run(['migrate'], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /up to date \(postgres\)/);
    assert.equal(
      (await run(['users', 'add', 'alice', '--password-stdin'], { env, input: 'a-long-password' })).code,
      0,
    );

    const issuer = 'http://localhost:18080';
    const instances = [0, 1].map(() =>
      start(
        [CLI, 'serve', '--port', '0', '--issuer', issuer, '--log-level', 'warn'],
        /Issuer: [\s\S]*Stop with Ctrl-C/,
        env,
      ),
    );
    for (const instance of instances) children.push(instance.child);
    await Promise.all(instances.map((instance) => instance.matched));
    const outputs = instances.map((instance) => instance.output());
    for (const output of outputs) assert.match(output, /store: {5}postgres/);
    for (const output of outputs) assert.match(output, /1 user\(s\) can log in/);
    const keys = await run(['keys', 'list'], { env });
    assert.equal(
      keys.stdout.trim().split('\n').length,
      1,
      'two instances starting at once made one signing key',
    );
  });
});
