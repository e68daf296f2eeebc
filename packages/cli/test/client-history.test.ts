/**
 * `gatehouse clients history <client_id> [--diff <from> <to>] [--json]` in its own process against
 * the SQLite file a server wrote (issue #14, item 2): the versions and the fetch log as lines and as
 * JSON (the service's objects, camelCase, epoch milliseconds), the diff of two versions by number or
 * digest prefix, paging, and refusals as exit 2 with a message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DocumentHistory, openSqliteStore } from '@gatehouse-oauth/server';
import { COMMANDS } from '../src/cli-definitions.ts';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { run } from './support/cli-process.ts';

const CLIENT = 'https://app.example.test/client.json';
const T = Date.UTC(2026, 10, 23, 12, 0, 0);
const TLS = {
  issuer: 'CN=Test CA\nO=Example',
  subject: 'CN=app.example.test',
  spkiSha256: 'c3BraS1vZi10aGUtdGVzdC1rZXktMDEyMzQ1Njc4OQ==',
  validFrom: T - 86_400_000,
  validTo: T + 86_400_000,
};

function documentOf(extra: Record<string, unknown>) {
  return JSON.stringify({ client_id: CLIENT, redirect_uris: ['https://app.example.test/cb'], ...extra });
}

describe('gatehouse clients history', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-history-'));
  after(() => rmSync(data, { recursive: true, force: true }));
  const cli = (...args: string[]) => run(['clients', 'history', ...args, '--data', data]);

  before(async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const versions = [
      { digest: 'digest-one-0123456789', body: documentOf({ client_name: 'One' }) },
      {
        digest: 'digest-two-0123456789',
        body: documentOf({
          client_name: 'Two',
          redirect_uris: ['https://app.example.test/cb', 'https://new.example.test/cb'],
        }),
      },
    ];
    for (const [index, version] of versions.entries()) {
      const at = T + index * 60_000;
      await store.clientDocuments.record(
        { clientId: CLIENT, ...version, fetchedAt: at, headers: { etag: `"v${index}"` } },
        at,
      );
      await store.documentFetches.record({
        clientId: CLIENT,
        host: 'app.example.test',
        at,
        durationMs: 12,
        outcome: 'accepted',
        status: 200,
        digest: version.digest,
        remoteAddress: '192.0.2.10',
        tls: TLS,
      });
    }
    await store.documentFetches.record({
      clientId: CLIENT,
      host: 'app.example.test',
      at: T + 120_000,
      durationMs: 30,
      outcome: 'failed',
      reason: 'status_not_200',
      status: 404,
      remoteAddress: '192.0.2.10',
    });
    await store.close();
  });

  it('is defined with its argument and flags', () => {
    const command = COMMANDS.find((candidate) => candidate.name === 'clients history');
    assert.equal(command?.arguments, '<client_id>');
    assert.deepEqual(
      command?.options?.map((option) => [option.name, option.value]),
      [
        ['diff', '<from> <to>'],
        ['limit', '<n>'],
        ['before', '<id>'],
        ['json', undefined],
      ],
    );
  });

  it('lists the versions and the fetches, newest first', async () => {
    const listed = await cli(CLIENT);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `${CLIENT} (host app.example.test, first seen ${new Date(T).toISOString()})`);
    assert.equal(lines[1], 'versions (number, first fetched, last seen, digest): 2');
    assert.equal(
      lines[2],
      `2\t${new Date(T + 60_000).toISOString()}\t${new Date(T + 60_000).toISOString()}\tdigest-two-0123456789`,
    );
    assert.equal(
      lines[3],
      `1\t${new Date(T).toISOString()}\t${new Date(T).toISOString()}\tdigest-one-0123456789`,
    );
    assert.match(lines[4]!, /^fetches, newest first .*: 3$/);
    assert.equal(
      lines[5],
      [
        new Date(T + 120_000).toISOString(),
        'failed',
        '404',
        '30 ms',
        'status_not_200',
        '192.0.2.10',
        '-',
      ].join('\t'),
    );
    assert.equal(
      lines[6],
      [
        new Date(T + 60_000).toISOString(),
        'accepted',
        '200',
        '12 ms',
        'digest-two-0123456789',
        '192.0.2.10',
        `issuer=CN=Test CA, O=Example spki=${TLS.spkiSha256} until=${new Date(TLS.validTo).toISOString()}`,
      ].join('\t'),
    );
    assert.equal(lines.length, 8);
  });

  it('--json prints the history object; --limit and --before page the fetches', async () => {
    const listed = await cli(CLIENT, '--json', '--limit', '2');
    assert.equal(listed.code, 0, listed.stderr);
    const history = JSON.parse(listed.stdout) as DocumentHistory;
    assert.equal(history.clientId, CLIENT);
    assert.equal(history.hostFirstSeenAt, T);
    assert.deepEqual(
      history.versions.map((version) => [version.number, version.digest, version.fetchedAt]),
      [
        [2, 'digest-two-0123456789', T + 60_000],
        [1, 'digest-one-0123456789', T],
      ],
    );
    assert.deepEqual(
      history.fetches.map((fetch) => fetch.outcome),
      ['failed', 'accepted'],
    );
    assert.deepEqual(history.fetches[1]!.tls, TLS);
    assert.ok(history.nextBefore);
    const next = JSON.parse(
      (await cli(CLIENT, '--json', '--before', String(history.nextBefore))).stdout,
    ) as DocumentHistory;
    assert.deepEqual(
      next.fetches.map((fetch) => [fetch.outcome, fetch.digest]),
      [['accepted', 'digest-one-0123456789']],
    );
  });

  it('--diff <from> <to> shows what changed, value by value, by number or digest prefix', async () => {
    const byNumber = await cli(CLIENT, '--diff', '1', '2');
    assert.equal(byNumber.code, 0, byNumber.stderr);
    assert.deepEqual(byNumber.stdout.trimEnd().split('\n'), [
      `${CLIENT}: version 1 (digest-one-0…, ${new Date(T).toISOString()}) → version 2 (digest-two-0…, ${new Date(T + 60_000).toISOString()})`,
      'redirect_uris',
      '  + https://new.example.test/cb',
      'client_name: "One" → "Two"',
    ]);
    const json = JSON.parse(
      (await cli(CLIENT, '--diff', 'digest-one', 'digest-two', '--json')).stdout,
    ) as Record<string, unknown>;
    assert.deepEqual(json.from, { number: 1, digest: 'digest-one-0123456789', fetchedAt: T });
    assert.deepEqual(json.redirectUris, { added: ['https://new.example.test/cb'], removed: [] });
    assert.deepEqual(json.members, [{ member: 'client_name', before: 'One', after: 'Two' }]);
    const same = await cli(CLIENT, '--diff', '2', '2');
    assert.equal(same.stdout.trimEnd().split('\n')[1], 'no change');
  });

  it('refuses an unknown client or version, or a half --diff, with exit 2 and a message', async () => {
    const nobody = await cli('https://nobody.example.test/c.json');
    assert.equal(nobody.code, EXIT_CODES.usage.code);
    assert.match(
      nobody.stderr,
      /^gatehouse: no client https:\/\/nobody\.example\.test\/c\.json, and no fetch of it\n$/,
    );
    const missing = await cli(CLIENT, '--diff', '1', '7');
    assert.equal(missing.code, EXIT_CODES.usage.code);
    assert.match(missing.stderr, /no version 7 of https:\/\/app\.example\.test\/client\.json/);
    // A digest is base64url and may begin with `-`: given as `--diff=<from>` and `-- <to>`, it
    // reaches the version lookup instead of being read as an option.
    const dashed = await run(['clients', 'history', CLIENT, '--diff=-Lpp2g', '--data', data, '--', '-Qx7']);
    assert.equal(dashed.code, EXIT_CODES.usage.code);
    assert.match(dashed.stderr, /no version -Lpp2g of https:\/\/app\.example\.test\/client\.json/);
    const half = await cli(CLIENT, '--diff', '1');
    assert.equal(half.code, EXIT_CODES.usage.code);
    assert.match(half.stderr, /usage: gatehouse clients history <client_id> \[--diff <from> <to>\]/);
  });
});
