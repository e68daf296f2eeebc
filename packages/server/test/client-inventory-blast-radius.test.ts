/**
 * The client inventory's blast radius (issue #14, item 4): of a domain (its subdomains included), a
 * software_id and a user; "revoke all" through the lifecycle, after which a refresh fails.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  INSTALLATION_A,
  INSTALLATION_B,
  inventoryServer,
  OTHER_CLIENT,
  SUBDOMAIN_CLIENT,
} from './support/client-inventory.ts';
import { CIMD_URL } from './support/stub-documents.ts';

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
