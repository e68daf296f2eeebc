/**
 * The one client lifecycle (clients/client-lifecycle.ts): every path that removes a client or
 * revokes what it holds ends in the same state — grants and token families revoked, unredeemed
 * codes and pending or pushed authorization requests gone, the client forgotten by every
 * instance's memory — audited once with who did it (DCR-MG-7, DCR-SEC-7, CIMD-CHG-1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClientLifecycle } from '../src/clients/client-lifecycle.ts';
import { createAuthorizationServer } from '../src/index.ts';
import { reapRegistrations } from '../src/registration/reaper.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/**
 * Gives `clientId` one of everything the server can hold for a client: a grant with a live token
 * family, a code not yet redeemed, a pending interactive request and a pushed request.
 */
async function holdEverything(t: TestServer, clientId: string) {
  const tokens = await t.tokensFor({ client_id: clientId });
  assert.ok(tokens.refresh_token, 'a live token family');
  const unredeemed = await t.authorize({ client_id: clientId });
  assert.ok(unredeemed.searchParams.get('code'), 'a code not yet redeemed');
  const pending = await t.send(t.authorizationUrl({ client_id: clientId }));
  const interaction = new URL(pending.headers.get('location')!).pathname.split('/').at(-1)!;
  assert.ok(await t.store.authorizationRequests.get(interaction, t.now()), 'a pending request');
  const pushed = await t.post('/par', t.authorizationParams({ client_id: clientId }));
  assert.equal(pushed.status, 201);
  const { request_uri } = (await pushed.json()) as { request_uri: string };
  const pushedId = `par:${request_uri.slice(REQUEST_URI_PREFIX.length)}`;
  assert.ok(await t.store.authorizationRequests.get(pushedId, t.now()), 'a pushed request');
  return { tokens, unredeemed, requestIds: [interaction, pushedId] };
}

type Held = Awaited<ReturnType<typeof holdEverything>>;

/** Nothing the client held still works, read through the store and through the endpoints. */
async function assertNothingLeft(t: TestServer, clientId: string, held: Held) {
  const grants = await t.store.grants.listByClient(clientId);
  assert.ok(grants.length > 0);
  for (const grant of grants) assert.notEqual(grant.revokedAt, undefined, `grant ${grant.id} revoked`);
  const families = await t.store.tokenFamilies.listByClient(clientId);
  assert.ok(families.length > 0);
  for (const family of families) assert.notEqual(family.revokedAt, undefined, `family ${family.id} revoked`);
  for (const id of held.requestIds) {
    assert.equal(await t.store.authorizationRequests.get(id, t.now()), undefined, `request ${id} gone`);
  }
  const redeem = await t.token(t.redeemParams(held.unredeemed, { client_id: clientId }));
  assert.equal(redeem.status >= 400, true, 'the unredeemed code no longer redeems');
  const refresh = await t.token({
    grant_type: 'refresh_token',
    refresh_token: held.tokens.refresh_token!,
    client_id: clientId,
  });
  assert.equal(refresh.status >= 400, true, 'the refresh token is refused');
  const introspection = await t.post('/introspect', { token: held.tokens.access_token }, await rsAuth(t));
  assert.deepEqual(await introspection.json(), { active: false });
}

async function rsAuth(t: TestServer): Promise<Record<string, string>> {
  if ((await t.store.clients.get('rs')) === undefined) await t.addResourceServer('rs');
  const secret = 'a-test-client-secret-that-is-long-enough-0123456789';
  return { authorization: `Basic ${Buffer.from(`rs:${secret}`).toString('base64')}` };
}

async function registerDcrClient(t: TestServer) {
  const response = await t.register({
    redirect_uris: [APP_REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'A dynamic client',
  });
  assert.equal(response.status, 201);
  return (await response.json()) as {
    client_id: string;
    registration_client_uri: string;
    registration_access_token: string;
  };
}

describe('every removal path ends in the same state', () => {
  const paths: {
    name: string;
    actor: (clientId: string) => string;
    reason: string;
    remove: (t: TestServer) => Promise<string>;
  }[] = [
    {
      name: 'an operator (server.clients.remove)',
      actor: () => 'cli:operator',
      reason: 'operator',
      remove: async () => 'public-app',
    },
    {
      name: 'RFC 7592 DELETE by the client (DCR-MG-7)',
      actor: (clientId) => `client:${clientId}`,
      reason: 'client_request',
      remove: async () => '',
    },
    {
      name: 'the reaper of idle registrations (DCR-SEC-7)',
      actor: () => 'system:reaper',
      reason: 'idle',
      remove: async () => '',
    },
  ];
  for (const path of paths) {
    it(path.name, async () => {
      const t = await createTestServer();
      const dcr = path.reason === 'operator' ? undefined : await registerDcrClient(t);
      const clientId = dcr?.client_id ?? 'public-app';
      const held = await holdEverything(t, clientId);
      if (path.reason === 'operator') {
        await t.server.clients.remove(clientId, { actor: 'cli:operator', reason: 'operator' });
      } else if (path.reason === 'client_request') {
        const response = await t.manage(
          dcr!.registration_client_uri,
          'DELETE',
          dcr!.registration_access_token,
        );
        assert.equal(response.status, 204);
      } else {
        t.advance(91 * 24 * 3600 * 1000);
        const reaped = await reapRegistrations({ store: t.store, clock: t.now, lifecycle: t.server.clients });
        assert.equal(reaped, 1);
      }
      assert.equal(await t.store.clients.get(clientId), undefined, 'the record is gone');
      await assertNothingLeft(t, clientId, held);
      const events = await t.store.audit.list({ type: 'client.removed', clientId });
      assert.equal(events.length, 1, 'audited once');
      assert.equal(events[0]!.actor, path.actor(clientId));
      assert.equal(events[0]!.reason, path.reason);
      assert.equal(events[0]!.detail?.families_revoked, 1);
      assert.equal(events[0]!.detail?.codes_deleted, 1);
      assert.equal(events[0]!.detail?.requests_deleted, 2);
    });
  }

  it('a downgraded document (consent policy) ends the same way, keeping the client (CIMD-CHG-1)', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    const t = await createTestServer({ outboundFetch: documents.fetch });
    const held = await holdEverything(t, CIMD_URL);
    // web (unset) to native: a downgrade (core's document-change-policy.ts).
    documents.publish(CIMD_URL, cimdDocument({ application_type: 'native' }));
    t.advance(301_000);
    // The first request after expiry is served the stale copy while it revalidates (stale while
    // revalidate); the next one meets the new version, and the policy.
    for (let request = 0; request < 2; request++) await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    assert.ok(await t.store.clients.get(CIMD_URL), 'the client stays');
    const [revoked, ...more] = await t.store.audit.list({ type: 'client.revoked', clientId: CIMD_URL });
    assert.equal(more.length, 0);
    assert.equal(revoked!.actor, 'system:document-change');
    assert.equal(revoked!.reason, 'client_document_downgraded');
    assert.equal(revoked!.detail?.families_revoked, 1);
    assert.equal(revoked!.detail?.codes_deleted, 1);
    // The two held, and the one the stale-served request above left pending.
    assert.equal(revoked!.detail?.requests_deleted, 3);
    await assertNothingLeft(t, CIMD_URL, held);
  });
});

describe('the client lifecycle', () => {
  it('is idempotent: a second removal changes nothing and is not audited again', async () => {
    const t = await createTestServer();
    await t.tokensFor();
    const first = await t.server.clients.remove('public-app', { actor: 'cli:operator', reason: 'operator' });
    assert.equal(first.existed, true);
    assert.equal(first.familiesRevoked, 1);
    const second = await t.server.clients.remove('public-app', { actor: 'cli:operator', reason: 'operator' });
    assert.deepEqual(second, {
      existed: false,
      grantsRevoked: 0,
      familiesRevoked: 0,
      codesDeleted: 0,
      requestsDeleted: 0,
      documentVersionsDeleted: 0,
    });
    assert.equal((await t.store.audit.list({ type: 'client.removed' })).length, 1);
  });

  it('leaves other clients alone', async () => {
    const t = await createTestServer();
    const other = await t.tokensFor({ client_id: 'public-app' });
    await t.server.clients.remove('basic-app', { actor: 'cli:operator', reason: 'operator' });
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: other.refresh_token!,
      client_id: 'public-app',
    });
    assert.equal(refresh.status, 200);
  });

  it('counts removals and revocations in the metrics by action and reason', async () => {
    const t = await createTestServer();
    await t.tokensFor();
    await t.server.clients.revokeAll('public-app', { actor: 'cli:operator', reason: 'operator' });
    await t.server.clients.remove('public-app', { actor: 'cli:operator', reason: 'operator' });
    const text = await (await t.server.metrics.metrics()).toString();
    assert.match(text, /gatehouse_client_lifecycle_total\{action="revoked",reason="operator"\} 1/);
    assert.match(text, /gatehouse_client_lifecycle_total\{action="removed",reason="operator"\} 1/);
  });

  it('removing a CIMD client drops everything: its next request fetches the document again and asks for consent', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    const t = await createTestServer({ outboundFetch: documents.fetch });
    const ua = t.userAgent();
    await t.authorize({ client_id: CIMD_URL }, ua);
    assert.equal(documents.fetches(CIMD_URL), 1);
    await t.store.documentFreshness.evict(CIMD_URL, 1);
    const removed = await t.server.clients.remove(CIMD_URL, { actor: 'cli:operator', reason: 'operator' });
    assert.equal(removed.documentVersionsDeleted, 1);
    assert.deepEqual(await t.store.clientDocuments.history(CIMD_URL), []);
    assert.equal(await t.store.documentFreshness.get(CIMD_URL), undefined, 'its freshness marks too');
    // The same logged-in browser comes back: no silent approval, the document fetched anew.
    const back = await ua.navigate(
      t.authorizationUrl({ client_id: CIMD_URL }),
      (l) => !l.startsWith(`${ISSUER}/`),
    );
    assert.equal(typeof back === 'object' && 'status' in back, true, 'the consent page, not a redirect');
    assert.equal(documents.fetches(CIMD_URL), 2);
    assert.equal((await t.store.audit.list({ type: 'client.discovered', clientId: CIMD_URL })).length, 2);
  });
});

describe('several instances on one store', () => {
  /** Two servers sharing one memory store, as two instances share a database. */
  async function twoInstances() {
    const store = createMemoryStore();
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument({ client_name: 'Before' }));
    const fetches: number[] = [0, 0];
    const instances = [0, 1].map((index) =>
      createAuthorizationServer({
        issuer: ISSUER,
        store,
        resources: [{ uri: RESOURCE, scopes: ['mcp:tools'], defaultScopes: ['mcp:tools'] }],
        outboundFetch: async (url, init) => {
          fetches[index]!++;
          return documents.fetch(url, init);
        },
      }),
    );
    return { store, documents, fetches, instances };
  }

  function authorizationUrl() {
    return `${ISSUER}/authorize?${new URLSearchParams({
      client_id: CIMD_URL,
      redirect_uri: APP_REDIRECT,
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })}`;
  }

  it('a client removed on one instance is forgotten by the other within 2 seconds', async () => {
    const { documents, fetches, instances } = await twoInstances();
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    try {
      for (const server of [a, b]) await server.fetch(new Request(authorizationUrl()));
      // One fetch in all: the second instance adopted the first one's version (the shared level).
      assert.equal(fetches[0]! + fetches[1]!, 1);
      documents.publish(CIMD_URL, cimdDocument({ client_name: 'After' }));
      await a.clients.remove(CIMD_URL, { actor: 'cli:operator', reason: 'operator' });
      // b held the client fresh in memory; without the change feed it would answer from it for
      // minutes. It must fetch the document again, and within 2 s of the removal.
      const deadline = Date.now() + 2000;
      let fetchedAgain = false;
      while (!fetchedAgain && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const before = fetches[1]!;
        await b.fetch(new Request(authorizationUrl()));
        fetchedAgain = fetches[1]! > before;
      }
      assert.ok(fetchedAgain, 'the other instance fetched the document again within 2 s');
    } finally {
      for (const server of instances) await server.stop();
    }
  });

  it('a lifecycle made outside any server (the CLI) reaches running instances the same way', async () => {
    const { store, fetches, instances } = await twoInstances();
    const [a] = instances;
    try {
      await a!.fetch(new Request(authorizationUrl()));
      const before = fetches[0]!;
      const cli = createClientLifecycle({
        store,
        clock: Date.now,
        audit: (event) => store.audit.append({ at: Date.now(), ...event }),
      });
      await cli.remove(CIMD_URL, { actor: 'cli:operator', reason: 'operator' });
      const deadline = Date.now() + 2000;
      while (fetches[0] === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await a!.fetch(new Request(authorizationUrl()));
      }
      assert.ok(fetches[0]! > before, 'the running instance forgot the client within 2 s');
    } finally {
      for (const server of instances) await server.stop();
    }
  });
});
