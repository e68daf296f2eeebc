/**
 * The client inventory (issue #14, items 1, 4 and 7) through `server.inventory` on the memory
 * store, with real flows: a CIMD client used by two users from two installations, counted exactly;
 * the blast radius of a client, a domain (its subdomains included), a software_id and a user;
 * "revoke all" through the lifecycle, after which a refresh fails; the listing's filters, sorts and
 * pages; the operator's fields, audited with their actor; connections, and revoking one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../test/support/user-agent.ts';
import { type InventoryFilter, SCAN_BUDGET } from '../src/index.ts';
import { hashPassword } from '../src/users/password.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer, ISSUER, PASSWORD, RESOURCE } from './support/test-server.ts';

const INSTALLATION_A = 'https://app.example.test/callback';
const INSTALLATION_B = 'https://app.example.test/desktop';
const SUBDOMAIN_CLIENT = 'https://eu.client.example.test/oauth/client.json';
const OTHER_CLIENT = 'https://other.example.net/client.json';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Tokens = { access_token: string; refresh_token?: string };

async function inventoryServer() {
  const documents = stubDocuments();
  documents.publish(
    CIMD_URL,
    cimdDocument({
      redirect_uris: [INSTALLATION_A, INSTALLATION_B],
      contacts: ['security@client.example.test'],
    }),
  );
  documents.publish(
    SUBDOMAIN_CLIENT,
    cimdDocument({
      client_id: SUBDOMAIN_CLIENT,
      client_name: 'EU',
      redirect_uris: ['https://eu.client.example.test/cb'],
    }),
  );
  documents.publish(
    OTHER_CLIENT,
    cimdDocument({
      client_id: OTHER_CLIENT,
      client_name: 'Other',
      redirect_uris: ['https://other.example.net/cb'],
    }),
  );
  const t = await createTestServer({ outboundFetch: documents.fetch });
  await t.store.users.create({
    id: 'user-bob',
    username: 'bob',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: t.now(),
  });
  /** A code flow of `username` for `clientId` from the installation `redirectUri`, redeemed. */
  const use = async (username: string, clientId: string, redirectUri: string): Promise<Tokens> => {
    const callback = await authorizeInBrowser(
      new UserAgent(t.send),
      t.authorizationUrl({ client_id: clientId, redirect_uri: redirectUri }),
      ISSUER,
      { username, password: PASSWORD },
    );
    const response = await t.token(
      t.redeemParams(callback, { client_id: clientId, redirect_uri: redirectUri }),
    );
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Tokens;
  };
  const refresh = (clientId: string, tokens: Tokens) =>
    t.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
  return { t, documents, use, refresh, inventory: t.server.inventory };
}

describe('inventory: a CIMD client used by two users from two installations', () => {
  it('counts exactly: users, installations, grants, sessions, tokens, scopes and resources', async () => {
    const { t, use, refresh, inventory } = await inventoryServer();
    const alice = await use('alice', CIMD_URL, INSTALLATION_A);
    t.advance(10 * 60_000);
    await use('bob', CIMD_URL, INSTALLATION_B);
    t.advance(10 * 60_000);
    assert.equal((await refresh(CIMD_URL, alice)).status, 200);

    const shown = await inventory.show(CIMD_URL);
    assert.deepEqual(shown?.reach, {
      usersWithLiveGrants: 2,
      installations: 2,
      grants: 2,
      liveFamilies: 2,
      tokensIssuedLast24Hours: 3,
      tokensIssuedLast7Days: 3,
      lastTokenAt: t.now(),
    });
    const radius = await inventory.reach({ clientId: CIMD_URL });
    assert.deepEqual(
      {
        clients: radius.clients,
        users: radius.usersWithLiveGrants,
        installations: radius.installations,
        grants: radius.grants,
        families: radius.liveFamilies,
        lastHour: radius.accessTokensLastHour,
        scopes: radius.scopes,
        resources: radius.resources,
        lastUsedAt: radius.lastUsedAt,
      },
      {
        clients: [CIMD_URL],
        users: 2,
        installations: 2,
        grants: 2,
        families: 2,
        lastHour: 3,
        scopes: [{ value: 'mcp:tools', grants: 2 }],
        resources: [{ value: RESOURCE, grants: 2 }],
        lastUsedAt: t.now(),
      },
    );
    // Tokens age out of the last hour; sessions stay live.
    t.advance(2 * HOUR);
    const later = await inventory.reach({ clientId: CIMD_URL });
    assert.equal(later.accessTokensLastHour, 0);
    assert.equal(later.liveFamilies, 2);
  });

  it('shows who it is, who answers for it, what governance decides and when it was seen', async () => {
    const { t, use, refresh, inventory } = await inventoryServer();
    const started = t.now();
    const alice = await use('alice', CIMD_URL, INSTALLATION_A);
    t.advance(2 * HOUR);
    assert.equal((await refresh(CIMD_URL, alice)).status, 200);
    const shown = await inventory.show(CIMD_URL);
    assert.ok(shown !== undefined);
    const { reach: _, reasons, document, ...entry } = shown;
    // The fetch log's newest entry: the refresh re-fetched the document (its 5 minutes had passed).
    assert.deepEqual(document?.lastFetch, { at: t.now(), outcome: 'accepted', durationMs: 0, status: 200 });
    assert.ok((document?.freshUntil ?? 0) > t.now(), 'fresh until a time to come');
    assert.equal(document?.stale, undefined);
    assert.deepEqual(entry, {
      clientId: CIMD_URL,
      kind: 'cimd',
      tokenEndpointAuthMethod: 'none',
      clientName: 'Example CIMD client',
      clientNameSource: 'self-asserted',
      owningHosts: ['client.example.test'],
      contacts: ['security@client.example.test'],
      state: 'approved',
      tier: 'verified-domain',
      createdAt: started,
      firstSeenAt: started,
      lastSeenAt: t.now(),
      lastAuthorizationAt: started,
      lastTokenAt: started,
      lastRefreshAt: t.now(),
      redirectUris: [INSTALLATION_A, INSTALLATION_B],
      keyThumbprints: [],
    });
    assert.match(reasons.join('\n'), /open mode/);
    // A pre-registered client: its name is the operator's, and it was never seen.
    const statics = await inventory.show('public-app');
    assert.equal(statics?.clientNameSource, undefined, 'no client_name, so no source');
    assert.equal(statics?.tier, 'trusted');
    assert.equal(statics?.firstSeenAt, undefined);
    assert.deepEqual(statics?.owningHosts, ['app.example.test', '127.0.0.1']);
    assert.equal(await inventory.show('https://never.example/client.json'), undefined);
  });

  it('shows a document served stale because its origin fails, and an eviction (item 5)', async () => {
    const { t, use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    const since = t.now();
    await t.store.documentFreshness.markStale(CIMD_URL, {
      digest: 'd1',
      since,
      until: since + DAY,
      reason: 'connect_failed',
    });
    const [listed] = (await inventory.list({ kind: 'cimd' })).entries;
    assert.deepEqual(listed?.document?.stale, { since, until: since + DAY, reason: 'connect_failed' });
    await t.store.documentFreshness.evict(CIMD_URL, since + 1);
    const shown = await inventory.show(CIMD_URL);
    assert.equal(shown?.document?.evictedAt, since + 1);
    assert.equal(shown?.document?.stale, undefined, 'an evicted document is not served at all');
    assert.equal((await inventory.show('public-app'))?.document, undefined, 'no document: no document state');
  });

  it('writes the activity at most once an hour per client and kind', async () => {
    const { t, use, inventory } = await inventoryServer();
    const started = t.now();
    await use('alice', CIMD_URL, INSTALLATION_A);
    t.advance(30 * 60_000);
    await use('bob', CIMD_URL, INSTALLATION_B);
    const within = await inventory.show(CIMD_URL);
    assert.equal(within?.lastAuthorizationAt, started, 'the second use in the hour wrote nothing');
    t.advance(31 * 60_000);
    await use('alice', CIMD_URL, INSTALLATION_A);
    assert.equal((await inventory.show(CIMD_URL))?.lastAuthorizationAt, t.now());
  });
});

describe('inventory: blast radius', () => {
  it('of a domain includes its subdomains, of a software_id the clients that send it', async () => {
    const { t, use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    await use('bob', SUBDOMAIN_CLIENT, 'https://eu.client.example.test/cb');
    await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    const domain = await inventory.reach({ domain: 'Client.Example.TEST.' });
    assert.deepEqual(domain.target, { domain: 'client.example.test' });
    assert.deepEqual(domain.clients, [CIMD_URL, SUBDOMAIN_CLIENT]);
    assert.equal(domain.usersWithLiveGrants, 2);
    assert.equal(domain.grants, 2);
    assert.equal(domain.liveFamilies, 2);
    assert.equal(domain.accessTokensLastHour, 2);
    // A registered client is under the domains it redirects to: the static clients here.
    const parent = await inventory.reach({ domain: 'example.test' });
    assert.deepEqual(parent.clients, ['basic-app', CIMD_URL, SUBDOMAIN_CLIENT, 'post-app', 'public-app']);
    const none = await inventory.reach({ domain: 'nothing.example' });
    assert.deepEqual([none.clients, none.grants, none.liveFamilies], [[], 0, 0]);

    await t.store.clients.put({
      ...(await t.store.clients.get(OTHER_CLIENT))!,
      metadata: { ...(await t.store.clients.get(OTHER_CLIENT))!.metadata, software_id: 'agent-7' },
    });
    const software = await inventory.reach({ softwareId: 'agent-7' });
    assert.deepEqual(software.clients, [OTHER_CLIENT]);
    assert.equal(software.usersWithLiveGrants, 1);
  });

  it('of a user: every client and installation of theirs, by username or id', async () => {
    const { use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    await use('alice', CIMD_URL, INSTALLATION_B);
    await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    await use('bob', CIMD_URL, INSTALLATION_A);
    const alice = await inventory.reach({ user: 'alice' });
    assert.equal(alice.userId, 'user-alice');
    assert.equal(alice.username, 'alice');
    assert.deepEqual([...alice.clients].sort(), [CIMD_URL, OTHER_CLIENT].sort());
    assert.deepEqual(
      [
        alice.usersWithLiveGrants,
        alice.installations,
        alice.grants,
        alice.liveFamilies,
        alice.accessTokensLastHour,
      ],
      [1, 3, 3, 3, 3],
    );
    assert.deepEqual((await inventory.reach({ user: 'user-alice' })).grants, 3);
    await assert.rejects(inventory.reach({ user: 'nobody' }), { reason: 'user_not_found' });
    await assert.rejects(inventory.reach({ clientId: 'nobody' }), { reason: 'client_not_found' });
    await assert.rejects(inventory.reach({ domain: 'a.example', user: 'alice' } as never), {
      reason: 'invalid_blast_radius_target',
    });
    await assert.rejects(inventory.reach({ domain: 'a b' }), { reason: 'invalid_blast_radius_target' });
  });

  it('revoke all: the counts first, every grant and session through the lifecycle, then a refresh fails', async () => {
    const { t, use, refresh, inventory } = await inventoryServer();
    const alice = await use('alice', CIMD_URL, INSTALLATION_A);
    const bob = await use('bob', SUBDOMAIN_CLIENT, 'https://eu.client.example.test/cb');
    const outside = await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    const dryRun = await inventory.reach({ domain: 'client.example.test' });
    const revoked = await inventory.revokeReach(
      { domain: 'client.example.test' },
      { actor: 'admin-token:t1' },
    );
    assert.deepEqual(revoked.before.clients, dryRun.clients);
    assert.equal(revoked.before.liveFamilies, 2);
    assert.deepEqual([revoked.grantsRevoked, revoked.familiesRevoked], [2, 2]);
    assert.deepEqual([revoked.after.grants, revoked.after.liveFamilies], [0, 0]);
    for (const [clientId, tokens] of [
      [CIMD_URL, alice],
      [SUBDOMAIN_CLIENT, bob],
    ] as const) {
      const response = await refresh(clientId, tokens);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    }
    assert.equal((await refresh(OTHER_CLIENT, outside)).status, 200, 'outside the domain: untouched');
    const [event, ...more] = await t.store.audit.list({ type: 'blast_radius.revoked' });
    assert.equal(more.length, 0);
    assert.equal(event?.actor, 'admin-token:t1');
    assert.equal(event?.reason, 'operator');
    assert.deepEqual(event?.detail, {
      target: { domain: 'client.example.test' },
      clients: 2,
      before: {
        users_with_live_grants: 2,
        installations: 2,
        grants: 2,
        live_families: 2,
        access_tokens_last_hour: 2,
      },
      grants_revoked: 2,
      families_revoked: 2,
    });
    const perClient = await t.store.audit.list({ type: 'client.revoked' });
    assert.deepEqual(perClient.map((revocation) => [revocation.clientId, revocation.actor]).sort(), [
      [CIMD_URL, 'admin-token:t1'],
      [SUBDOMAIN_CLIENT, 'admin-token:t1'],
    ]);
  });

  it("revoke all of a user ends each grant through the lifecycle, and the user's refresh fails", async () => {
    const { t, use, refresh, inventory } = await inventoryServer();
    const alice = await use('alice', CIMD_URL, INSTALLATION_A);
    const bob = await use('bob', CIMD_URL, INSTALLATION_B);
    const revoked = await inventory.revokeReach({ user: 'alice' }, { actor: 'cli:ops' });
    assert.deepEqual([revoked.grantsRevoked, revoked.familiesRevoked], [1, 1]);
    assert.equal((await refresh(CIMD_URL, alice)).status, 400);
    assert.equal((await refresh(CIMD_URL, bob)).status, 200, "another user's session is untouched");
    const [grantEvent] = await t.store.audit.list({ type: 'grant.revoked' });
    assert.equal(grantEvent?.userId, 'user-alice');
    assert.equal(grantEvent?.reason, 'operator');
    assert.equal(grantEvent?.actor, 'cli:ops');
    const [event] = await t.store.audit.list({ type: 'blast_radius.revoked' });
    assert.equal(event?.userId, 'user-alice');
  });
});

describe('inventory: listing', () => {
  async function listed(
    inventory: Awaited<ReturnType<typeof inventoryServer>>['inventory'],
    filter: InventoryFilter,
  ) {
    return (await inventory.list(filter)).entries.map((entry) => entry.clientId);
  }

  it('lists every client with its state and tier; filters by kind, state, tier, domain, owner, label and idle days', async () => {
    const { t, use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    await use('alice', SUBDOMAIN_CLIENT, 'https://eu.client.example.test/cb');
    await t.server.governance.block('domain:example.net', { actor: 'test' });
    await t.server.governance.approve('public-app', { actor: 'test', tier: 'local' });
    const all = (await inventory.list()).entries;
    assert.deepEqual(
      all.map((entry) => [entry.clientId, entry.kind, entry.state, entry.tier]),
      [
        ['basic-app', 'static', 'approved', 'trusted'],
        [CIMD_URL, 'cimd', 'approved', 'verified-domain'],
        [SUBDOMAIN_CLIENT, 'cimd', 'approved', 'verified-domain'],
        [OTHER_CLIENT, 'cimd', 'blocked', 'verified-domain'],
        ['post-app', 'static', 'approved', 'trusted'],
        ['public-app', 'static', 'approved', 'local'],
      ],
    );
    assert.deepEqual(await listed(inventory, { kind: 'static' }), ['basic-app', 'post-app', 'public-app']);
    assert.deepEqual(await listed(inventory, { state: 'blocked' }), [OTHER_CLIENT]);
    assert.deepEqual(await listed(inventory, { tier: 'local' }), ['public-app']);
    assert.deepEqual(await listed(inventory, { tier: 'trusted' }), ['basic-app', 'post-app']);
    assert.deepEqual(await listed(inventory, { state: 'approved', kind: 'cimd' }), [
      CIMD_URL,
      SUBDOMAIN_CLIENT,
    ]);
    assert.deepEqual(await listed(inventory, { domain: 'client.example.test' }), [
      CIMD_URL,
      SUBDOMAIN_CLIENT,
    ]);
    await inventory.setOperatorFields(CIMD_URL, { owner: 'payments', labels: ['pci'] }, { actor: 'test' });
    assert.deepEqual(await listed(inventory, { owner: 'payments' }), [CIMD_URL]);
    assert.deepEqual(await listed(inventory, { label: 'pci' }), [CIMD_URL]);
    // Idle: not seen for N days; never seen counts from when the client was recorded.
    t.advance(10 * DAY);
    await use('alice', CIMD_URL, INSTALLATION_A);
    assert.deepEqual(await listed(inventory, { idleDays: 5, kind: 'cimd' }), [
      SUBDOMAIN_CLIENT,
      OTHER_CLIENT,
    ]);
    assert.deepEqual(await listed(inventory, { seenSince: t.now() - DAY }), [CIMD_URL]);
    for (const [filter, reason] of [
      [{ state: 'held' }, 'invalid_inventory_query'],
      [{ kind: 'robot' }, 'invalid_inventory_query'],
      [{ limit: 0 }, 'invalid_inventory_query'],
      [{ sort: 'name' }, 'invalid_inventory_query'],
      [{ cursor: 'not-a-cursor' }, 'invalid_inventory_query'],
    ] as const) {
      await assert.rejects(inventory.list(filter as InventoryFilter), { reason }, JSON.stringify(filter));
    }
  });

  it('pages with a cursor in every sort, and a cursor of one sort is refused by another', async () => {
    const { t, use, inventory } = await inventoryServer();
    await use('alice', CIMD_URL, INSTALLATION_A);
    t.advance(HOUR);
    await use('alice', OTHER_CLIENT, 'https://other.example.net/cb');
    for (const sort of ['client_id', 'created', 'last_seen'] as const) {
      const whole = await listed(inventory, { sort });
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await inventory.list({ sort, limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        paged.push(...page.entries.map((entry) => entry.clientId));
        cursor = page.next;
      } while (cursor !== undefined);
      assert.deepEqual(paged, whole, sort);
      assert.equal(whole.length, 5);
    }
    assert.deepEqual((await listed(inventory, { sort: 'last_seen' })).slice(0, 2), [OTHER_CLIENT, CIMD_URL]);
    const first = await inventory.list({ sort: 'created', limit: 1 });
    await assert.rejects(inventory.list({ sort: 'client_id', cursor: first.next! }), {
      reason: 'invalid_inventory_query',
    });
  });

  it('a state filter that selects few of many stops at the scan budget with a cursor, and goes on from it', async () => {
    const { t, inventory } = await inventoryServer();
    for (let index = 0; index < SCAN_BUDGET + 10; index++)
      await t.store.clients.put({
        clientId: `dcr-${String(index).padStart(5, '0')}`,
        kind: 'dcr',
        metadata: {
          client_id: `dcr-${index}`,
          redirect_uris: ['https://agent.example/cb'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
        createdAt: t.now(),
        updatedAt: t.now(),
      });
    await t.server.governance.block('kind:dcr', { actor: 'test' });
    // Open mode: approved is what no rule decides, so every client is a candidate and each is decided.
    const first = await inventory.list({ state: 'approved', limit: 10 });
    assert.deepEqual(
      first.entries.map((entry) => entry.clientId),
      ['basic-app'],
    );
    assert.ok(first.next !== undefined, 'a short page with a cursor, not the whole table');
    const second = await inventory.list({ state: 'approved', limit: 10, cursor: first.next });
    assert.deepEqual(
      second.entries.map((entry) => entry.clientId),
      ['post-app', 'public-app'],
    );
    assert.equal(second.next, undefined);
    // The blocked ones are found by their rule, without scanning the others.
    assert.equal((await inventory.list({ state: 'blocked', limit: 1000 })).entries.length, 1000);
  });

  it('shows every AT Protocol loopback client as one entry, once seen', async () => {
    const { t, inventory } = await inventoryServer();
    assert.equal((await inventory.list({ kind: 'loopback' })).entries.length, 0);
    await t.store.inventory.recordActivity('http://localhost', 'authorization', t.now());
    await t.store.grants.upsert({
      id: 'g-loopback',
      userId: 'user-alice',
      clientId: 'http://localhost?scope=atproto',
      redirectUri: 'http://127.0.0.1/',
      scope: ['atproto'],
      resources: [],
      now: t.now(),
    });
    const [entry] = (await inventory.list({ kind: 'loopback' })).entries;
    assert.deepEqual([entry?.clientId, entry?.kind, entry?.tier], ['http://localhost', 'loopback', 'local']);
    assert.ok((await listed(inventory, {})).includes('http://localhost'));
    assert.deepEqual(await listed(inventory, { domain: 'localhost' }), []);
    assert.equal((await inventory.show('http://localhost'))?.reach.usersWithLiveGrants, 1);
    assert.equal((await inventory.connections.ofClient('http://localhost')).connections.length, 1);
  });
});

describe('inventory: operator fields', () => {
  it('are set, merged, cleared and audited with the actor and before/after; a no-op writes nothing', async () => {
    const { t, inventory } = await inventoryServer();
    const first = await inventory.setOperatorFields(
      'public-app',
      { owner: 'ops', team: 'platform', contact: 'ops@example.test', labels: ['pci', 'pci', 'eu/prod'] },
      { actor: 'cli:alice' },
    );
    assert.equal(first.changed, true);
    assert.deepEqual(first.after, {
      clientId: 'public-app',
      owner: 'ops',
      team: 'platform',
      contact: 'ops@example.test',
      labels: ['pci', 'eu/prod'],
      updatedBy: 'cli:alice',
      updatedAt: t.now(),
    });
    const again = await inventory.setOperatorFields('public-app', { owner: 'ops' }, { actor: 'cli:bob' });
    assert.equal(again.changed, false);
    const merged = await inventory.setOperatorFields(
      'public-app',
      { team: null, note: 'vendor contract 42' },
      { actor: 'admin-token:t1' },
    );
    assert.deepEqual(
      [merged.after?.owner, merged.after?.team, merged.after?.note, merged.after?.updatedBy],
      ['ops', undefined, 'vendor contract 42', 'admin-token:t1'],
    );
    const events = await t.store.audit.list({ type: 'client.operator_fields_changed' });
    assert.equal(events.length, 2);
    assert.equal(events[0]?.actor, 'admin-token:t1');
    assert.equal(events[0]?.clientId, 'public-app');
    const detail = events[0]?.detail as { before: { team?: string }; after: { team?: string } };
    assert.equal(detail.before.team, 'platform');
    assert.equal(detail.after.team, undefined);
    assert.equal(events[1]?.detail?.before, null);
    const cleared = await inventory.setOperatorFields(
      'public-app',
      { owner: null, contact: null, note: null, labels: [] },
      { actor: 'cli:alice' },
    );
    assert.equal(cleared.after, undefined);
    assert.equal(await t.store.inventory.operatorFields('public-app'), undefined);
    assert.equal((await inventory.show('public-app'))?.operator, undefined);
  });

  it('refuses what would break a listing, and a client the inventory does not list', async () => {
    const { inventory } = await inventoryServer();
    for (const change of [
      { owner: '' },
      { owner: 'x'.repeat(201) },
      { note: 'line\nbreak' },
      { labels: ['has space'] },
      { labels: ['-leading'] },
      { labels: Array.from({ length: 33 }, (_, index) => `l${index}`) },
    ]) {
      await assert.rejects(inventory.setOperatorFields('public-app', change, { actor: 'test' }), {
        reason: 'invalid_operator_fields',
      });
    }
    await assert.rejects(inventory.setOperatorFields('nobody', { owner: 'x' }, { actor: 'test' }), {
      reason: 'client_not_found',
    });
  });
});

describe('inventory: connections', () => {
  it("lists a user's grants per client and installation and a client's per user; revoking one ends its sessions", async () => {
    const { t, use, refresh, inventory } = await inventoryServer();
    const a = await use('alice', CIMD_URL, INSTALLATION_A);
    const b = await use('alice', CIMD_URL, INSTALLATION_B);
    await use('bob', CIMD_URL, INSTALLATION_A);
    const ofAlice = await inventory.connections.ofUser('alice');
    assert.equal(ofAlice.userId, 'user-alice');
    assert.deepEqual(
      ofAlice.connections.map((connection) => [
        connection.clientId,
        connection.clientName,
        connection.redirectUri,
        connection.liveSessions,
        connection.scope,
      ]),
      [
        [CIMD_URL, 'Example CIMD client', INSTALLATION_A, 1, ['mcp:tools']],
        [CIMD_URL, 'Example CIMD client', INSTALLATION_B, 1, ['mcp:tools']],
      ],
    );
    const ofClient = await inventory.connections.ofClient(CIMD_URL);
    assert.deepEqual(
      ofClient.connections.map((connection) => [connection.username, connection.redirectUri]),
      [
        ['alice', INSTALLATION_A],
        ['alice', INSTALLATION_B],
        ['bob', INSTALLATION_A],
      ],
    );
    const revoked = await inventory.connections.revoke(ofAlice.connections[0]!.grantId, {
      actor: 'console:ops',
    });
    assert.equal(revoked.redirectUri, INSTALLATION_A);
    assert.equal(revoked.liveSessions, 1, 'the sessions it ended');
    assert.equal((await refresh(CIMD_URL, a)).status, 400);
    assert.equal((await refresh(CIMD_URL, b)).status, 200, 'the other installation is untouched');
    const [event] = await t.store.audit.list({ type: 'grant.revoked' });
    assert.deepEqual(
      [event?.actor, event?.userId, event?.detail?.redirect_uri],
      ['console:ops', 'user-alice', INSTALLATION_A],
    );
    await assert.rejects(inventory.connections.revoke(revoked.grantId, { actor: 'x' }), {
      reason: 'grant_not_found',
    });
    await assert.rejects(inventory.connections.ofUser('nobody'), { reason: 'user_not_found' });
  });
});
