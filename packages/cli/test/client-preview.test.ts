/**
 * `gatehouse clients preview <url>`, `gatehouse clients add --cimd <url>` and `gatehouse lint
 * --config` (CIMD-CO-3; issue #13, item 6) as an operator runs them: a child process against a SQLite file,
 * the documents served over real TLS on loopback by this run's CA (the development fetch switches,
 * as the server itself would fetch them), judged with the configuration's profile and policies.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '@gatehouse-oauth/server';
import { startTestHost, type TestHost } from '../../../test/support/test-hosts.ts';
import { createTestCa } from '../../../test/support/test-pki.ts';
import { run } from './support/cli-process.ts';

describe('gatehouse clients preview, clients add --cimd, lint --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-preview-'));
  const data = join(dir, 'data');
  const caFile = join(dir, 'ca.pem');
  let host: TestHost;
  let fetchFlags: string[];
  /** A document served at `path`, its client_id the URL it is served at. */
  const serve = (path: string, extra: Record<string, unknown> = {}) => {
    const url = `${host.origin('client.test')}${path}`;
    host.json(path, {
      client_id: url,
      client_name: `Client at ${path}`,
      redirect_uris: ['https://client.test/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...extra,
    });
    return url;
  };
  const gatehouse = (...args: string[]) => run([...args, '--data', data, ...fetchFlags]);

  /** Everything a command could have written: clients, rules, document versions, changes, audit. */
  async function storeState() {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      return {
        clients: (await store.clients.list()).map((client) => client.clientId),
        rules: await store.governance.listRules(),
        changes: await store.clientChanges.latest(),
        audit: (await store.audit.list()).length,
      };
    } finally {
      await store.close();
    }
  }

  before(async () => {
    const ca = await createTestCa('Gatehouse preview CLI test CA');
    host = await startTestHost(ca, ['client.test']);
    writeFileSync(caFile, ca.certPem);
    fetchFlags = ['--dev-loopback-fetch', '--fetch-ca', caFile, '--dev-host', 'client.test=127.0.0.1'];
    assert.equal((await gatehouse('migrate')).code, 0);
  });
  after(async () => {
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('preview: what the server would decide, and nothing stored', async () => {
    const url = serve('/preview.json', { scope: 'read write' });
    const stateBefore = await storeState();
    const previewed = await gatehouse('clients', 'preview', url);
    assert.equal(previewed.code, 0, previewed.stderr);
    const lines = previewed.stdout.split('\n');
    assert.equal(lines[0], url);
    assert.ok(lines.includes('0 errors, 0 warnings'), previewed.stdout);
    assert.match(
      previewed.stdout,
      /^ok: .* as a public client, grant_types authorization_code refresh_token$/m,
    );
    assert.match(previewed.stdout, /^client {4}cimd, host client\.test, redirect hosts client\.test$/m);
    assert.match(previewed.stdout, /^tier {6}verified-domain$/m);
    assert.match(previewed.stdout, /^decision {2}approved$/m);
    assert.match(previewed.stdout, /^scopes {4}at most read write$/m);
    assert.match(
      previewed.stdout,
      /^policy {4}consent remembered; DPoP optional; lifetimes: access tokens default, refresh tokens default, a login default$/m,
    );
    assert.match(previewed.stdout, /^nothing was stored$/m);
    assert.equal(host.hits('/preview.json'), 1, 'fetched once, through the hardened fetcher');
    assert.deepEqual(await storeState(), stateBefore);
  });

  it('preview --json: the whole decision, machine-readable', async () => {
    const url = serve('/json.json');
    const previewed = await gatehouse('clients', 'preview', url, '--json');
    assert.equal(previewed.code, 0, previewed.stderr);
    const preview = JSON.parse(previewed.stdout);
    assert.deepEqual(Object.keys(preview).sort(), [
      'clientId',
      'decidedOn',
      'decision',
      'findings',
      'governedClient',
      'metadata',
      'policy',
      'scopeCeiling',
      'stored',
      'tier',
      'valid',
    ]);
    assert.equal(preview.clientId, url);
    assert.equal(preview.valid, true);
    assert.equal(preview.stored, false);
    assert.deepEqual(preview.findings, []);
    assert.equal(preview.metadata.client_name, 'Client at /json.json');
    assert.equal(preview.decidedOn, 'document');
    assert.equal(preview.governedClient.host, 'client.test');
    assert.equal(preview.tier, 'verified-domain');
    assert.equal(preview.decision.state, 'approved');
    assert.equal(preview.scopeCeiling, null);
    assert.equal(preview.policy.consent, 'remembered');
  });

  it('preview of an invalid document: the findings, exit 1, nothing stored', async () => {
    const url = serve('/secret.json', { client_secret: 'not in a public document' });
    const stateBefore = await storeState();
    const previewed = await gatehouse('clients', 'preview', url, '--json');
    assert.equal(previewed.code, 1);
    const preview = JSON.parse(previewed.stdout);
    assert.equal(preview.valid, false);
    assert.deepEqual(
      preview.findings.map((finding: { id: string }) => finding.id),
      ['CIMD-DOC-4'],
    );
    assert.equal(preview.decidedOn, 'client_id');
    const unreachable = await gatehouse('clients', 'preview', `${host.origin('client.test')}/missing.json`);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stdout, /^error {2}CIMD-FETCH {2}could not fetch /m);
    assert.deepEqual(await storeState(), stateBefore);
  });

  it('add --cimd: recorded, approved with its tier and owner, listed, audited, published', async () => {
    const url = serve('/added.json');
    const added = await gatehouse(
      'clients',
      'add',
      '--cimd',
      url,
      '--tier',
      'trusted',
      '--owner',
      'platform team',
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^added client .* \(cimd\), approved, tier trusted, owner platform team$/m);
    assert.match(added.stdout, /^tier {6}trusted$/m);
    assert.match(added.stdout, /^decision {2}approved$/m);

    const listed = await gatehouse('clients', 'list');
    assert.ok(
      listed.stdout
        .split('\n')
        .some((line) => line.startsWith(`${url}\tcimd\tnone\tClient at /added.json\t`)),
      listed.stdout,
    );

    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    try {
      const [rule, ...others] = (await store.governance.listRules()).filter((r) => r.selector === url);
      assert.equal(others.length, 0);
      assert.equal(rule?.state, 'approved');
      assert.equal(rule?.tier, 'trusted');
      assert.equal(rule?.owner, 'platform team');
      assert.match(rule?.updatedBy ?? '', /^cli(:|$)/);
      assert.equal((await store.clientDocuments.latest(url))?.clientId, url);
      const [event] = await store.audit.list({ type: 'client.added', clientId: url });
      assert.match(event?.actor ?? '', /^cli(:|$)/);
      assert.equal(event?.detail?.kind, 'cimd');
      const changes = await store.clientChanges.since(0, 100);
      assert.ok(changes.some((change) => change.clientId === url && change.kind === 'governance'));
    } finally {
      await store.close();
    }

    const badTier = await gatehouse('clients', 'add', '--cimd', url, '--tier', 'gold');
    assert.equal(badTier.code, 2);
    assert.match(badTier.stderr, /--tier must be one of trusted, verified-domain, self-asserted, local/);
    const both = await gatehouse('clients', 'add', '--cimd', url, '--file', join(dir, 'client.json'));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--file and --cimd are two ways to add a client/);
  });

  it('add --cimd refuses an invalid document: a clear message, exit 1, no stack, nothing stored', async () => {
    const url = serve('/refused.json', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } });
    const stateBefore = await storeState();
    const refused = await gatehouse('clients', 'add', '--cimd', url);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error {2}CIMD-DOC-5 {2}jwks contains private or symmetric key material/m);
    assert.match(
      refused.stderr,
      /was refused: the server would not accept this document; nothing was stored/,
    );
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await storeState(), stateBefore);
  });

  it("lint --config applies the configuration's profile and governance", async () => {
    // Accepted by the default profile, refused by atproto: no dpop_bound_access_tokens (AT-4).
    const url = serve('/atproto.json', { scope: 'atproto' });
    const plain = await run(['lint', url, ...fetchFlags]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /^decision {2}approved$/m);

    const atproto = join(dir, 'atproto.json');
    writeFileSync(
      atproto,
      JSON.stringify({
        profile: 'atproto',
        issuer: 'https://auth.test',
        resources: [{ uri: 'https://pds.test', name: 'PDS' }],
        // The test host listens on an ephemeral port (development only, AT-2).
        atproto: { dev_allow_client_id_port: true },
      }),
    );
    const refused = await run(['lint', url, '--config', atproto, ...fetchFlags]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^error {2}AT-4 {2}dpop_bound_access_tokens must be true \(AT-4\)$/m);

    const governed = join(dir, 'governed.json');
    writeFileSync(
      governed,
      JSON.stringify({
        governance: {
          mode: 'approval',
          tiers: { verified_domain: { scopes: ['read'] } },
          rules: [{ selector: 'domain:blocked.test', state: 'blocked' }],
        },
      }),
    );
    const pending = await run([
      'lint',
      serve('/wide.json', { scope: 'read write' }),
      '--config',
      governed,
      ...fetchFlags,
    ]);
    assert.equal(pending.code, 0, pending.stdout + pending.stderr);
    assert.match(pending.stdout, /^decision {2}pending: refused \(client_pending\)$/m);
    assert.match(pending.stdout, /^scopes {4}at most read$/m);
  });
});
