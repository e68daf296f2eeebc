/**
 * The client inventory (issue #14, item 1) through `server.inventory` on the memory store, with real
 * flows: a CIMD client used by two users from two installations, counted exactly; who it is, who
 * answers for it, governance, stale documents and evictions (item 5), activity written at most hourly.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY, HOUR, INSTALLATION_A, INSTALLATION_B, inventoryServer } from './support/client-inventory.ts';
import { CIMD_URL } from './support/stub-documents.ts';
import { RESOURCE } from './support/test-server.ts';

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
