/**
 * `gatehouse clients refresh <client_id>` and `gatehouse clients evict <client_id>` (issue #14, item
 * 5) as an operator runs them: a child process against a SQLite file, the document served over real
 * TLS on loopback by this run's CA (the development fetch switches, as the server would fetch it).
 * What they store is what a running instance takes from the change feed (the server side of that:
 * packages/server/test/document-freshness.test.ts; over TLS beside a running server:
 * test/e2e/document-freshness.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore, type Store } from '@gatehouse-oauth/server';
import { startTestHost, type TestHost } from '../../../test/support/test-hosts.ts';
import { createTestCa } from '../../../test/support/test-pki.ts';
import { run } from './support/cli-process.ts';

describe('gatehouse clients refresh, clients evict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-freshness-'));
  const data = join(dir, 'data');
  const caFile = join(dir, 'ca.pem');
  let host: TestHost;
  let fetchFlags: string[];
  let url: string;
  const actor = `cli:${userInfo().username}`;
  const serve = (name: string) =>
    host.json('/client.json', {
      client_id: url,
      client_name: name,
      redirect_uris: ['https://client.test/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  const gatehouse = (...args: string[]) => run([...args, '--data', data, ...fetchFlags]);
  async function withStore<T>(read: (store: Store) => Promise<T>): Promise<T> {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      return await read(store);
    } finally {
      await store.close();
    }
  }

  before(async () => {
    const ca = await createTestCa('Gatehouse freshness CLI test CA');
    host = await startTestHost(ca, ['client.test']);
    writeFileSync(caFile, ca.certPem);
    fetchFlags = ['--dev-loopback-fetch', '--fetch-ca', caFile, '--dev-host', 'client.test=127.0.0.1'];
    url = `${host.origin('client.test')}/client.json`;
    assert.equal((await gatehouse('migrate')).code, 0);
  });
  after(async () => {
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refresh: fetches and records the document as the server would, publishes it, audits the operator', async () => {
    serve('First');
    const first = await gatehouse('clients', 'refresh', url);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^refreshed .*: its first version [\w-]{43}, fresh until \d{4}-/m);
    const stored = await withStore(async (store) => ({
      client: await store.clients.get(url),
      versions: await store.clientDocuments.history(url),
      changes: await store.clientChanges.since(0, 10),
      audited: await store.audit.list({ type: 'client.document_refreshed' }),
    }));
    assert.equal(stored.client?.metadata.client_name, 'First');
    assert.equal(stored.versions.length, 1);
    assert.deepEqual(
      stored.changes.map((change) => [change.clientId, change.kind]),
      [[url, 'updated']],
    );
    assert.equal(stored.audited[0]?.actor, actor);
    assert.equal(stored.audited[0]?.reason, 'discovered');

    serve('Second');
    const second = await gatehouse('clients', 'refresh', url, '--json');
    assert.equal(second.code, 0, second.stderr);
    const result = JSON.parse(second.stdout) as { outcome: string; digest: string; previousDigest: string };
    assert.equal(result.outcome, 'changed');
    assert.equal(result.previousDigest, stored.versions[0]?.digest);
    const after = await withStore(async (store) => ({
      name: (await store.clients.get(url))?.metadata.client_name,
      latest: (await store.clientDocuments.latest(url))?.digest,
      changed: await store.audit.list({ type: 'client.document_changed' }),
    }));
    assert.equal(after.name, 'Second', 'the change policy took the cosmetic change');
    assert.equal(after.latest, result.digest);
    assert.equal(after.changed.length, 1);
  });

  it('refresh: a fetch that fails changes nothing and exits 1', async () => {
    host.route('/client.json', (_request, response) => void response.writeHead(503).end());
    const changesBefore = await withStore((store) => store.clientChanges.latest());
    const failed = await gatehouse('clients', 'refresh', url);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      failed.stdout,
      /was not refreshed: cimd_status_not_200: the client metadata document at .* could not be used/,
    );
    assert.match(failed.stdout, /^nothing changed$/m);
    assert.equal(await withStore((store) => store.clientChanges.latest()), changesBefore);
    const json = await gatehouse('clients', 'refresh', url, '--json');
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { reason: string }).reason, 'cimd_status_not_200');
    serve('Second');
  });

  it('evict: stores the eviction and publishes it; nothing else of the client changes', async () => {
    const clientBefore = await withStore((store) => store.clients.get(url));
    const evicted = await gatehouse('clients', 'evict', url, '--json');
    assert.equal(evicted.code, 0, evicted.stderr);
    const result = JSON.parse(evicted.stdout) as { clientId: string; digest: string; evictedAt: number };
    assert.equal(result.clientId, url);
    const state = await withStore(async (store) => ({
      freshness: await store.documentFreshness.get(url),
      latestChange: (await store.clientChanges.since(0, 100)).at(-1),
      client: await store.clients.get(url),
      latest: await store.clientDocuments.latest(url),
      audited: await store.audit.list({ type: 'client.document_evicted' }),
    }));
    assert.equal(state.freshness?.evictedAt, result.evictedAt);
    assert.equal(state.latestChange?.kind, 'updated');
    assert.deepEqual(state.client, clientBefore);
    assert.equal(state.latest?.digest, result.digest);
    assert.equal(state.audited[0]?.actor, actor);

    const human = await gatehouse('clients', 'evict', url);
    assert.match(human.stdout, /^evicted .* every running instance fetches it at its next use/m);
  });

  it('refuses what is not a document client, an unknown one, and a wrong command line, with exit 2', async () => {
    const notDocument = await gatehouse('clients', 'refresh', 'public-app');
    assert.equal(notDocument.code, 2);
    assert.match(notDocument.stderr, /public-app is not a client ID metadata document URL/);
    const unknown = await gatehouse('clients', 'evict', 'https://nobody.test/client.json');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no document client https:\/\/nobody\.test\/client\.json: nothing to evict/);
    const usage = await gatehouse('clients', 'evict');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: gatehouse clients refresh <client_id>/);
  });
});
