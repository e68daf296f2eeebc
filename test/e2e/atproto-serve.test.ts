/**
 * Issue #16: a standalone AT Protocol server gives its accounts DID subjects with no library code.
 * The real `gatehouse serve --profile atproto` process (https with a certificate from this run's CA,
 * the development fetch switches for the `.test` hosts), an account made with the CLI
 * (`users add alice --sub did:plc:… --password-stdin`) against the same data directory while the
 * server runs, then `@atproto/oauth-client-node` signs in: PAR, DPoP, login, consent, code
 * exchange. The client itself checks the token response `sub` against the DID document (AT-10),
 * and the access token the PDS receives carries the same `sub`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Agent } from 'undici';
import { CLI, run, start } from '../../packages/cli/test/support/cli-process.ts';
import {
  atprotoClient,
  fetchThrough,
  freePort,
  publicClientMetadata,
  publishAccount,
} from '../support/atproto-client.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { startTestHost, type TestHost, testLookup } from '../support/test-hosts.ts';
import { createTestCa } from '../support/test-pki.ts';
import { UserAgent } from '../support/user-agent.ts';

/** did:plc identifiers are 24 base32 characters. */
const DID = 'did:plc:gatehouseservecliaalice2';
const LOGIN = { username: 'alice', password: 'correct horse battery staple' };
const SCOPE = 'atproto transition:generic';

describe('AT Protocol through `gatehouse serve` alone, the DID from `users add --sub`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-atproto-serve-'));
  const config = join(dir, 'gatehouse.json');
  let host: TestHost;
  let server: ReturnType<typeof start>;
  let dispatcher: Agent;
  let issuer: string;

  before(async () => {
    const ca = await createTestCa('Gatehouse atproto serve e2e CA');
    host = await startTestHost(ca, ['client.test', 'pds.test', 'plc.test']);
    // atproto clients refuse an https issuer on localhost: the AS is https://auth.test:<port>.
    const port = await freePort();
    issuer = `https://auth.test:${port}`;
    const leaf = await ca.issue(['auth.test', 'localhost']);
    writeFileSync(join(dir, 'cert.pem'), leaf.cert);
    writeFileSync(join(dir, 'key.pem'), leaf.key);
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    // What an operator would write: every setting in the config file, the development-only ones
    // (docs/configuration.md) allowed because the server listens on loopback.
    const settings = {
      profile: 'atproto',
      host: '127.0.0.1',
      port,
      issuer,
      data: join(dir, 'data'),
      tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
      log_level: 'warn',
      resources: [{ uri: host.origin('pds.test'), scopes: ['transition:generic'], name: 'E2E PDS' }],
      atproto: { dev_allow_client_id_port: true },
      fetch: { dev_loopback: true, ca_file: join(dir, 'ca.pem'), dev_hosts: { 'client.test': '127.0.0.1' } },
    };
    writeFileSync(config, JSON.stringify(settings, null, 2));
    server = start([CLI, 'serve', '--config', config], /Stop with Ctrl-C/);
    await server.matched;
    dispatcher = new Agent({ connect: { ca: ca.certPem, lookup: testLookup as never } });
  });

  after(async () => {
    server?.child.kill();
    await dispatcher?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the token response sub and the access token sub are the DID', async () => {
    const added = await run(
      ['users', 'add', LOGIN.username, '--sub', DID, '--password-stdin', '--config', config],
      {
        input: LOGIN.password,
      },
    );
    assert.equal(added.code, 0, added.stderr);
    const pds = publishAccount(host, DID, issuer);
    // The PDS stand-in keeps the access token each authenticated request carries.
    const presented: string[] = [];
    host.route('/xrpc/com.atproto.server.getSession', (request, response) => {
      presented.push(String(request.headers.authorization ?? ''));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ did: DID }));
    });

    const metadata = publicClientMetadata(host, {
      documentPath: '/oauth-client-metadata.json',
      callbackPath: '/callback',
      name: 'E2E atproto client against gatehouse serve',
      scope: SCOPE,
    });
    host.json('/oauth-client-metadata.json', metadata);
    const fetch = fetchThrough(dispatcher);
    const client = atprotoClient(host, fetch, metadata);

    const url = await client.authorize(DID, { scope: SCOPE });
    assert.ok(url.searchParams.get('request_uri'), 'the request was pushed (AT-6)');
    const callback = await authorizeInBrowser(new UserAgent(fetch as never), url, issuer, LOGIN);
    const { session } = await client.callback(callback.searchParams);
    // The client library refuses a token response whose sub is not this DID (AT-10).
    assert.equal(session.did, DID);
    assert.equal((await session.getTokenInfo(false)).aud, `${pds}/`);

    const answer = await session.fetchHandler('/xrpc/com.atproto.server.getSession');
    assert.equal(answer.status, 200);
    const [authorization] = presented;
    assert.match(authorization ?? '', /^DPoP /, 'a DPoP-bound access token (AT-11)');
    assert.equal(decodeJwt(authorization!.slice('DPoP '.length)).sub, DID);
    assert.equal(decodeJwt(authorization!.slice('DPoP '.length)).iss, issuer);
  });
});
