/**
 * AT Protocol permission scopes through the server (issue #17 item 1, AT-16, decision 0037): PAR,
 * the consent page, the code exchange and refresh, with the default Lexicon resolver on a stub of
 * the hardened fetcher and an injected TXT lookup. What the client document's `scope` covers is
 * granted (matched by @atproto/oauth-scopes), anything else refused; a tier's ceiling narrows it
 * the same way; permission sets are resolved at PAR, described by what they grant, expanded into
 * the token's scope, and re-read at refresh, when the document's narrowing applies too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createClientPreviewContext, previewClient } from '../src/governance/client-preview.ts';
import type { AuthorizationServerOptions } from '../src/index.ts';
import { silentLogger } from '../src/logger.ts';
import { atprotoPermissionSets } from '../src/profiles/atproto-permission-sets.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { dpopKey, push, refresh, signIn } from './support/atproto-requests.ts';
import { CALENDAR, calendarLexicon, calendarTxt, publishCalendar } from './support/lexicons.ts';
import { stubDocuments } from './support/stub-documents.ts';
import { createTestServer } from './support/test-server.ts';

const PDS = 'https://pds.example.test';
const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const CLIENT = {
  clientId: 'https://app.example.test/oauth-client-metadata.json',
  redirectUri: 'https://app.example.test/callback',
};
const APPVIEW = 'did:web:api.bsky.app%23bsky_appview';
const CALENDAR_AUD = 'did:web:calendar.example.test%23calendar';
const SET = `include:${CALENDAR}?aud=${CALENDAR_AUD}`;
/** What the client's document says it may ask for (AT-4: every scope it might request). */
const DOCUMENT_SCOPE = [
  'atproto',
  'repo:app.bsky.feed.post',
  `rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`,
  'blob:image/*',
  SET,
  'include:test.example.missing.set',
].join(' ');
const REQUESTED = [
  'atproto',
  'repo:app.bsky.feed.post?action=create',
  `rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`,
  'blob:image/png',
  SET,
].join(' ');
const CALENDAR_PERMISSIONS = [
  'repo:test.example.calendar.event',
  `rpc:test.example.calendar.getEvents?aud=${CALENDAR_AUD}`,
];

function clientDocument(scope = DOCUMENT_SCOPE) {
  return {
    client_id: CLIENT.clientId,
    client_name: 'Example atproto app',
    client_uri: 'https://app.example.test',
    redirect_uris: [CLIENT.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope,
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    dpop_bound_access_tokens: true,
  };
}

async function permissionServer(overrides: Partial<AuthorizationServerOptions> = {}) {
  const documents = stubDocuments();
  documents.publish(CLIENT.clientId, clientDocument());
  await publishCalendar(documents);
  const t = await createTestServer({
    profile: 'atproto',
    outboundFetch: documents.fetch,
    resolveTxt: calendarTxt,
    resources: [{ uri: PDS, scopes: ['transition:generic'], name: 'Example PDS' }],
    subject: () => DID,
    ...overrides,
  });
  return { t, documents, key: await dpopKey() };
}

describe('permission scopes: granted as the client document covers them', async () => {
  const { t, documents, key } = await permissionServer();

  it('grants them, describes them, and carries them in the token, a set expanded', async () => {
    let consent = '';
    const tokens = await signIn(t, key, CLIENT, REQUESTED, (html) => {
      consent = html;
    });
    const expected = [
      'atproto',
      'repo:app.bsky.feed.post?action=create',
      `rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`,
      'blob:image/png',
      ...CALENDAR_PERMISSIONS,
    ];
    assert.deepEqual(tokens.scope.split(' '), expected);
    assert.deepEqual(String(decodeJwt(tokens.access_token).scope).split(' '), expected);
    // The session keeps what was asked for, so a refresh expands the set as it is then.
    const [family] = await t.store.tokenFamilies.listByClient(CLIENT.clientId);
    assert.deepEqual(family?.scope, REQUESTED.split(' '));
    assert.match(consent, /create records of type app\.bsky\.feed\.post in your repository/);
    assert.match(
      consent,
      /call app\.bsky\.feed\.getTimeline on the service did:web:api\.bsky\.app#bsky_appview/,
    );
    assert.match(consent, /upload files \(image\/png\)/);
    assert.match(
      consent,
      /the permission set test\.example\.calendar\.basic, which its publisher calls “Calendar” \(“Your calendar events”\): create, update and delete records of type test\.example\.calendar\.event/,
    );
  });

  it('refuses what the document does not cover', async () => {
    for (const scope of [
      'blob:video/mp4',
      'repo:*',
      'repo:app.bsky.feed.like',
      'account:email',
      'identity:handle',
    ]) {
      const answer = await push(t, key, CLIENT, `atproto ${scope}`);
      assert.equal(answer.status, 400, scope);
      assert.equal(answer.body.error, 'invalid_scope');
      assert.equal(answer.reason, 'scope_not_allowed');
      assert.match(String(answer.body.error_description), /scope not allowed for this client and resource/);
    }
  });

  it('refuses a malformed permission, saying so', async () => {
    const answer = await push(t, key, CLIENT, 'atproto repo:app.bsky.feed.post?action=fly');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_scope');
    assert.equal(answer.reason, 'atproto_scope_malformed');
  });

  it('refuses a permission set that cannot be resolved at PAR, naming the step', async () => {
    const answer = await push(t, key, CLIENT, 'atproto include:test.example.missing.set');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_scope');
    assert.equal(answer.reason, 'atproto_permission_set_unresolved');
    assert.equal(
      answer.body.error_description,
      'the permission set test.example.missing.set could not be resolved: no DNS TXT record at _lexicon.missing.example.test',
    );
  });

  it('re-reads the set at refresh once its TTL is over, and narrows to the document as it is then', async () => {
    const tokens = await signIn(t, key, CLIENT, REQUESTED);
    await publishCalendar(
      documents,
      calendarLexicon([
        { type: 'permission', resource: 'repo', collection: ['test.example.calendar.setting'] },
      ]),
    );
    const early = await refresh(t, key, CLIENT, tokens.refresh_token);
    assert.equal(early.status, 200, JSON.stringify(early.body));
    assert.equal(early.body.scope, tokens.scope, 'within the TTL: the set as it was resolved');

    t.advance(3600 * 1000);
    // The client's document drops blob:image/* meanwhile: its own ceiling narrows the session.
    documents.publish(CLIENT.clientId, clientDocument(DOCUMENT_SCOPE.replace(' blob:image/*', '')));
    const later = await refresh(t, key, CLIENT, String(early.body.refresh_token));
    assert.equal(later.status, 200, JSON.stringify(later.body));
    assert.deepEqual(String(later.body.scope).split(' '), [
      'atproto',
      'repo:app.bsky.feed.post?action=create',
      `rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`,
      ...CALENDAR_PERMISSIONS,
      'repo:test.example.calendar.setting',
    ]);
    assert.equal(
      String(decodeJwt(tokens.access_token).scope),
      tokens.scope,
      'a token issued before keeps the permissions it was issued with',
    );
  });
});

describe('permission scopes: the tier ceiling', async () => {
  const { t, key } = await permissionServer({
    // CIMD clients are verified-domain clients: the operator allows them records and uploads only.
    governance: { tiers: { verifiedDomain: { scopes: ['atproto', 'repo:*', 'blob:*/*', SET] } } },
  });

  it('grants what lies within both the tier ceiling and the document, and refuses the rest', async () => {
    const within = await push(
      t,
      key,
      CLIENT,
      `atproto repo:app.bsky.feed.post?action=create blob:image/png ${SET}`,
    );
    assert.equal(within.status, 201, JSON.stringify(within.body));
    const outside = await push(t, key, CLIENT, `atproto rpc:app.bsky.feed.getTimeline?aud=${APPVIEW}`);
    assert.equal(outside.status, 400);
    assert.equal(outside.reason, 'scope_not_allowed');
    // Within the tier (repo:*) but not the document (repo:app.bsky.feed.post only).
    const notDocument = await push(t, key, CLIENT, 'atproto repo:app.bsky.feed.like');
    assert.equal(notDocument.reason, 'scope_not_allowed');
  });
});

describe('permission scopes: permission sets turned off', async () => {
  const { t, documents, key } = await permissionServer({ atproto: { permissionSets: 'refuse' } });

  it('refuses an include: scope before anything is fetched, and grants the rest', async () => {
    const answer = await push(t, key, CLIENT, `atproto ${SET}`);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_scope');
    assert.equal(answer.reason, 'atproto_permission_sets_off');
    assert.equal(documents.fetches('https://plc.directory/did%3Aplc%3Acalendarpublisheraaaaaaa'), 0);
    const rest = await push(t, key, CLIENT, 'atproto repo:app.bsky.feed.post?action=create');
    assert.equal(rest.status, 201, JSON.stringify(rest.body));
  });

  it('leaves a set out of the tokens of a session granted it before sets were turned off', async () => {
    const sets = atprotoPermissionSets(
      {
        issuer: 'https://as.example.test',
        store: t.store,
        atproto: { permissionSets: 'refuse' },
        resolveLexicon: async () => assert.fail('nothing is resolved when sets are off'),
      },
      { outboundFetch: documents.fetch, clock: t.now, logger: silentLogger },
    );
    assert.deepEqual(await sets.tokenScope(['atproto', SET, 'blob:image/png']), [
      'atproto',
      'blob:image/png',
    ]);
  });
});

describe('permission scopes: the Lexicon resolver extension point', async () => {
  const asked: string[] = [];
  let failing = false;
  const { t, key } = await permissionServer({
    resolveLexicon: async (nsid) => {
      asked.push(nsid);
      if (failing) throw new Error('directory at 10.0.0.7 timed out');
      return calendarLexicon();
    },
    // Never consulted: the resolver given replaces the default one, DNS included.
    resolveTxt: async () => assert.fail('the default resolver ran'),
  });

  it('is asked for the NSID, and what it returns is checked, cached and granted', async () => {
    const tokens = await signIn(t, key, CLIENT, `atproto ${SET}`);
    assert.deepEqual(tokens.scope.split(' '), ['atproto', ...CALENDAR_PERMISSIONS]);
    assert.deepEqual(asked, [CALENDAR], 'once: PAR, consent and token share the cached set');
  });

  it('refuses the request when it fails, without passing on what it said', async () => {
    failing = true;
    t.advance(3600 * 1000);
    const answer = await push(t, key, CLIENT, `atproto ${SET}`);
    // The set resolved before stays in use while re-resolution fails (AT-16: the last good one).
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const fresh = await permissionServer({
      resolveLexicon: async () => {
        throw new Error('directory at 10.0.0.7 timed out');
      },
    });
    const refused = await push(fresh.t, fresh.key, CLIENT, `atproto ${SET}`);
    assert.equal(refused.status, 400);
    assert.equal(refused.reason, 'atproto_permission_set_unresolved');
    assert.equal(
      refused.body.error_description,
      `the permission set ${CALENDAR} could not be resolved: the resolver failed`,
    );
  });
});

describe('permission scopes: the loopback development client (AT-5)', async () => {
  const { t, key } = await permissionServer();
  const scope = 'atproto repo:app.bsky.feed.post?action=create';
  const loopback = {
    clientId: `http://localhost?redirect_uri=${encodeURIComponent('http://127.0.0.1/callback')}&scope=${encodeURIComponent(scope)}`,
    redirectUri: 'http://127.0.0.1:5000/callback',
  };

  it('gets the permissions its client_id names, and no others', async () => {
    const tokens = await signIn(t, key, loopback, scope);
    assert.equal(tokens.scope, scope);
    const beyond = await push(t, key, loopback, `${scope} blob:image/png`);
    assert.equal(beyond.status, 400);
    assert.equal(beyond.reason, 'scope_not_allowed');
  });
});

describe('permission scopes: the client preview', () => {
  it('shows the ceiling as requests are matched: the document within the tier', async () => {
    const context = createClientPreviewContext({
      profile: 'atproto',
      issuer: 'https://as.example.test',
      store: createMemoryStore(),
      resources: [{ uri: PDS, scopes: ['transition:generic'] }],
      governance: { tiers: { verifiedDomain: { scopes: ['atproto', 'repo:*', 'blob:*/*', SET] } } },
    });
    const preview = await previewClient(context, CLIENT.clientId, clientDocument());
    assert.equal(preview.valid, true, JSON.stringify(preview.findings));
    assert.deepEqual(preview.scopeCeiling, ['atproto', 'repo:app.bsky.feed.post', 'blob:image/*', SET]);
  });
});
