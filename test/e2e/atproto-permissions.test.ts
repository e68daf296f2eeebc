/**
 * AT Protocol permission scopes end to end (issue #17 item 1, AT-16, decision 0037):
 * `@atproto/oauth-client-node` asks `gatehouse serve` (profile atproto, over real TLS on loopback)
 * for `repo:`, `rpc:`, `blob:` and an `include:` permission set. The set is published as the
 * Lexicon spec says, on the test network: the authority's `_lexicon` TXT record (the one injected
 * seam: the server's DNS lookup) names a did:plc, whose document in the stand-in PLC directory on
 * `plc.test` (`atproto.plc_directory`) names the PDS on `pds.test` and the publisher's signing key;
 * the PDS serves the schema record with its proof (a CAR file of the commit, signed with that key).
 * Gatehouse resolves it through its hardened fetcher (the development switches let it reach the
 * `.test` hosts), describes it on the consent page, and the tokens carry its permissions. A client
 * whose document does not cover a scope it asks for is refused at PAR.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { P256Keypair } from '@atproto/crypto';
import { decodeJwt } from 'jose';
import { didDocument, signedRecord } from '../../packages/server/test/support/lexicons.ts';
import {
  atprotoClient,
  fetchThrough,
  freePort,
  publicClientMetadata,
  publishAccount,
} from '../support/atproto-client.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { createTestCa } from '../support/test-pki.ts';
import { UserAgent } from '../support/user-agent.ts';

const LOGIN = { username: 'alice', password: 'correct horse battery staple' };
/** did:plc identifiers are 24 base32 characters. */
const DID = 'did:plc:gatehousee2epermissions2';
const PUBLISHER = 'did:plc:calendarpublisheraaaaaaa';
const CALENDAR = 'test.example.calendar.basic';
const CALENDAR_AUD = 'did:web:calendar.example.test%23calendar';
const APPVIEW = 'did:web:api.bsky.app%23bsky_appview';
const SET = `include:${CALENDAR}?aud=${CALENDAR_AUD}`;
const SCOPE = [
  'atproto',
  'repo:app.bsky.feed.post?action=create',
  `rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`,
  'blob:image/*',
  SET,
].join(' ');

const CALENDAR_LEXICON = {
  lexicon: 1,
  id: CALENDAR,
  defs: {
    main: {
      type: 'permission-set',
      title: 'Calendar',
      detail: 'Your calendar events',
      permissions: [
        { type: 'permission', resource: 'repo', collection: ['test.example.calendar.event'] },
        { type: 'permission', resource: 'rpc', lxm: ['test.example.calendar.getEvents'], inheritAud: true },
        // Ignored (AT-16): a resource this server does not know.
        { type: 'permission', resource: 'frobnicate' },
      ],
    },
  },
};

describe('AT Protocol permission scopes end to end with @atproto/oauth-client-node', () => {
  let deployment: TestDeployment;
  let host: TestHost;
  let clientFetch: typeof globalThis.fetch;
  const lookups: string[] = [];

  before(async () => {
    const ca = await createTestCa('Gatehouse atproto permissions e2e CA');
    host = await startTestHost(ca, ['client.test', 'pds.test', 'plc.test']);
    const port = await freePort();
    deployment = await startTestDeployment(
      {
        profile: 'atproto',
        port,
        issuer: `https://auth.test:${port}`,
        atproto: { dev_allow_client_id_port: true, plc_directory: host.origin('plc.test') },
        resources: [{ uri: host.origin('pds.test'), scopes: ['transition:generic'], name: 'E2E PDS' }],
        cimd: { refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
      },
      {
        ca,
        serverNames: ['auth.test'],
        testHosts: ['client.test', 'pds.test', 'plc.test'],
        subject: () => DID,
        // The only seam: DNS. The calendar authority's _lexicon record names its DID.
        resolveTxt: async (hostname) => {
          lookups.push(hostname);
          if (hostname === '_lexicon.calendar.example.test') return [[`did=${PUBLISHER}`]];
          throw Object.assign(new Error(`queryTxt ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        },
      },
    );
    await deployment.addUser(LOGIN.username, LOGIN.password);
    publishAccount(host, DID, deployment.issuer);
    // The publisher's DID document names the PDS on pds.test, which serves the schema record.
    const publisherKey = await P256Keypair.create();
    host.json(
      `/${encodeURIComponent(PUBLISHER)}`,
      didDocument(PUBLISHER, host.origin('pds.test'), publisherKey),
    );
    const proof = await signedRecord(PUBLISHER, CALENDAR, CALENDAR_LEXICON, publisherKey);
    host.route('/xrpc/com.atproto.sync.getRecord', (request, response) => {
      const query = new URL(request.url ?? '/', 'https://x').searchParams;
      const wanted =
        query.get('did') === PUBLISHER &&
        query.get('collection') === 'com.atproto.lexicon.schema' &&
        query.get('rkey') === CALENDAR;
      if (!wanted) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/vnd.ipld.car' }).end(proof);
    });
    clientFetch = fetchThrough(deployment.dispatcher);
  });

  after(async () => {
    await deployment?.close();
    await host?.close();
  });

  it('grants repo:, rpc:, blob: and a permission set, and the tokens carry them', async () => {
    const metadata = publicClientMetadata(host, {
      documentPath: '/granular/oauth-client-metadata.json',
      callbackPath: '/granular/callback',
      name: 'E2E atproto app with granular permissions',
      scope: SCOPE,
    });
    host.json('/granular/oauth-client-metadata.json', metadata);
    const client = atprotoClient(host, clientFetch, metadata);
    const presented: string[] = [];
    host.route('/xrpc/com.atproto.server.getSession', (request, response) => {
      presented.push(String(request.headers.authorization ?? ''));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ did: DID }));
    });

    const url = await client.authorize(DID, { scope: SCOPE });
    const pages: string[] = [];
    const userAgent = new UserAgent(async (target, init) => {
      const response = (await deployment.fetch(target, init)) as Response;
      if (response.headers.get('content-type')?.includes('text/html'))
        pages.push(await response.clone().text());
      return response;
    });
    const callback = await authorizeInBrowser(userAgent, url, deployment.issuer, LOGIN);
    const { session } = await client.callback(callback.searchParams);
    assert.equal(session.did, DID);

    const consent = pages.find((html) => html.includes('name="decision"')) ?? '';
    assert.match(consent, /create records of type app\.bsky\.feed\.post in your repository/);
    assert.match(consent, /upload files \(image\/\*\)/);
    assert.match(
      consent,
      /the permission set test\.example\.calendar\.basic, which its publisher calls “Calendar”.*records of type test\.example\.calendar\.event/,
    );
    assert.ok(lookups.includes('_lexicon.calendar.example.test'));

    const granted = [
      'atproto',
      'repo:app.bsky.feed.post?action=create',
      `rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`,
      'blob:image/*',
      'repo:test.example.calendar.event',
      `rpc:test.example.calendar.getEvents?aud=${CALENDAR_AUD}`,
    ];
    assert.deepEqual((await session.getTokenInfo(false)).scope.split(' '), granted);
    const answer = await session.fetchHandler('/xrpc/com.atproto.server.getSession');
    assert.equal(answer.status, 200);
    const token = presented[0]!.slice('DPoP '.length);
    assert.deepEqual(String(decodeJwt(token).scope).split(' '), granted, 'the PDS receives them verbatim');

    // A forced refresh: the set is read again (from the cache, within its TTL), the same scope.
    const restored = await client.restore(DID, true);
    assert.deepEqual((await restored.getTokenInfo(false)).scope.split(' '), granted);
    // PAR, consent, code exchange and refresh: one resolution over the network, then the cache.
    assert.equal(host.hits(`/${encodeURIComponent(PUBLISHER)}`), 1);
    assert.equal(host.hits('/xrpc/com.atproto.sync.getRecord'), 1);
  });

  it('refuses a scope the client document does not cover', async () => {
    const metadata = publicClientMetadata(host, {
      documentPath: '/narrow/oauth-client-metadata.json',
      callbackPath: '/narrow/callback',
      name: 'E2E atproto app asking beyond its document',
      scope: 'atproto repo:app.bsky.feed.post?action=create',
    });
    host.json('/narrow/oauth-client-metadata.json', metadata);
    const client = atprotoClient(host, clientFetch, metadata);
    await assert.rejects(
      client.authorize(DID, { scope: 'atproto repo:app.bsky.feed.post?action=create blob:image/*' }),
      (error: unknown) => {
        const text = `${(error as { error?: string }).error} ${(error as Error).message}`;
        assert.match(text, /invalid_scope/);
        assert.match(text, /scope not allowed for this client and resource: blob:image\/\*/);
        return true;
      },
    );
  });
});
