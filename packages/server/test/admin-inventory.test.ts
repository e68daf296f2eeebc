/**
 * The admin API's inventory operations (issue #14, docs/inventory.md) through `server.fetch` on the
 * memory store, in the style of admin-api.test.ts: each answer parsed by the schema the OpenAPI
 * document is made of, the listing's filters and pages, the operator's fields audited with
 * `admin-token:<id>`, the blast radius and its revocation (a refresh then fails), connections,
 * and each refusal with its reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../test/support/user-agent.ts';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { hashPassword } from '../src/users/password.ts';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const INSTALLATION_A = 'https://app.example.test/callback';
const INSTALLATION_B = 'https://app.example.test/desktop';

type Operations = typeof ADMIN_OPERATIONS;

async function answer<Id extends keyof Operations>(
  response: Response,
  operation: Id,
): Promise<z.output<Operations[Id]['answer']>> {
  assert.equal(response.status, 200, await response.clone().text());
  return ADMIN_OPERATIONS[operation].answer.parse(await response.json()) as z.output<
    Operations[Id]['answer']
  >;
}

async function inventoryServer() {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument({ redirect_uris: [INSTALLATION_A, INSTALLATION_B] }));
  const t = await createTestServer({ outboundFetch: documents.fetch });
  await t.store.users.create({
    id: 'user-bob',
    username: 'bob',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: t.now(),
  });
  const writer = await t.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
  const reader = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
  const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
    t.send(`${ISSUER}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? writer.token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  const use = async (username: string, redirectUri: string) => {
    const callback = await authorizeInBrowser(
      new UserAgent(t.send),
      t.authorizationUrl({ client_id: CIMD_URL, redirect_uri: redirectUri }),
      ISSUER,
      { username, password: PASSWORD },
    );
    const response = await t.token(
      t.redeemParams(callback, { client_id: CIMD_URL, redirect_uri: redirectUri }),
    );
    return (await response.json()) as { refresh_token: string };
  };
  const invalid = (response: Response, reason: string, status = 400) =>
    assertRefusal(t, response, { status, error: 'invalid_request', reason });
  return { t, call, use, invalid, reader, actor: `admin-token:${writer.issued.id}` };
}

const encoded = encodeURIComponent(CIMD_URL);

describe('admin API: the inventory', () => {
  it('lists clients with filters and pages, and shows one with its reach (a read token suffices)', async () => {
    const { t, call, use, invalid, reader } = await inventoryServer();
    await use('alice', INSTALLATION_A);
    await use('bob', INSTALLATION_B);
    const page = await answer(await call('GET', '/clients', { token: reader.token }), 'listClients');
    assert.deepEqual(
      page.clients.map((entry) => [entry.client_id, entry.kind, entry.state, entry.tier]),
      [
        ['basic-app', 'static', 'approved', 'trusted'],
        [CIMD_URL, 'cimd', 'approved', 'verified-domain'],
        ['post-app', 'static', 'approved', 'trusted'],
        ['public-app', 'static', 'approved', 'trusted'],
      ],
    );
    assert.equal(page.next, undefined);
    const cimd = page.clients[1]!;
    assert.equal(cimd.client_name_source, 'self-asserted');
    assert.equal(cimd.first_seen_at, new Date(t.now()).toISOString());
    const filtered = await answer(
      await call('GET', '/clients?kind=cimd&state=approved&tier=verified-domain&domain=example.test'),
      'listClients',
    );
    assert.deepEqual(
      filtered.clients.map((entry) => entry.client_id),
      [CIMD_URL],
    );
    const first = await answer(await call('GET', '/clients?limit=2&sort=created'), 'listClients');
    assert.equal(first.clients.length, 2);
    const rest = await answer(
      await call('GET', `/clients?limit=2&sort=created&cursor=${encodeURIComponent(first.next!)}`),
      'listClients',
    );
    assert.equal(rest.clients.length, 2);
    t.advance(3 * 24 * 3_600_000);
    const idle = await answer(await call('GET', '/clients?idle_days=2'), 'listClients');
    assert.equal(idle.clients.length, 4);
    const seen = await answer(
      await call('GET', `/clients?seen_since=${new Date(t.now() - 4 * 24 * 3_600_000).toISOString()}`),
      'listClients',
    );
    assert.deepEqual(
      seen.clients.map((entry) => entry.client_id),
      [CIMD_URL],
    );

    const shown = await answer(
      await call('GET', `/clients/${encoded}`, { token: reader.token }),
      'showClient',
    );
    assert.deepEqual(shown.reach, {
      users_with_live_grants: 2,
      installations: 2,
      grants: 2,
      live_families: 2,
      tokens_issued_last_24_hours: 0,
      tokens_issued_last_7_days: 2,
      last_token_at: new Date(t.now() - 3 * 24 * 3_600_000).toISOString(),
    });

    await invalid(await call('GET', '/clients?state=held'), 'parameter_invalid');
    await invalid(await call('GET', '/clients?colour=red'), 'parameter_invalid');
    await invalid(await call('GET', '/clients?seen_since=yesterday'), 'parameter_invalid');
    await invalid(await call('GET', '/clients?cursor=abc'), 'invalid_inventory_query');
    await invalid(
      await call('GET', `/clients/${encodeURIComponent('https://nobody.example/c')}`),
      'client_not_found',
      404,
    );
  });

  it("sets the operator's fields, audited with the token's actor, before and after", async () => {
    const { t, call, invalid, actor } = await inventoryServer();
    const set = await answer(
      await call('PATCH', '/clients/public-app', {
        body: {
          owner: 'ops',
          team: 'platform',
          contact: 'ops@example.test',
          labels: ['pci'],
          note: 'vendor',
        },
      }),
      'setOperatorFields',
    );
    assert.equal(set.before, null);
    assert.deepEqual(set.after, {
      owner: 'ops',
      team: 'platform',
      contact: 'ops@example.test',
      labels: ['pci'],
      note: 'vendor',
      updated_by: actor,
      updated_at: new Date(t.now()).toISOString(),
    });
    const cleared = await answer(
      await call('PATCH', '/clients/public-app', { body: { team: null, labels: [] } }),
      'setOperatorFields',
    );
    assert.deepEqual(
      [cleared.after?.team, cleared.after?.labels, cleared.after?.owner],
      [undefined, [], 'ops'],
    );
    const [event] = await t.store.audit.list({ type: 'client.operator_fields_changed' });
    assert.equal(event?.actor, actor);
    assert.equal((event?.detail?.before as { team?: string } | null)?.team, 'platform');
    const listed = await answer(await call('GET', '/clients?owner=ops'), 'listClients');
    assert.deepEqual(
      listed.clients.map((entry) => entry.operator?.owner),
      ['ops'],
    );
    await invalid(
      await call('PATCH', '/clients/public-app', { body: { labels: ['a b'] } }),
      'invalid_operator_fields',
    );
    await invalid(
      await call('PATCH', '/clients/public-app', { body: { owner: 'a\u0007' } }),
      'invalid_operator_fields',
    );
    await invalid(await call('PATCH', '/clients/public-app', { body: { colour: 'red' } }), 'body_invalid');
    await invalid(await call('PATCH', '/clients/nobody', { body: { owner: 'x' } }), 'client_not_found', 404);
  });

  it('answers the blast radius of a client, domain, software_id and user, and revokes it with the counts', async () => {
    const { t, call, use, invalid, actor } = await inventoryServer();
    const alice = await use('alice', INSTALLATION_A);
    await use('bob', INSTALLATION_B);
    const ofClient = await answer(await call('GET', `/blast-radius?client_id=${encoded}`), 'blastRadius');
    assert.deepEqual(
      [
        ofClient.users_with_live_grants,
        ofClient.installations,
        ofClient.live_families,
        ofClient.access_tokens_last_hour,
      ],
      [2, 2, 2, 2],
    );
    assert.deepEqual(ofClient.target, { client_id: CIMD_URL });
    const ofDomain = await answer(await call('GET', '/blast-radius?domain=example.test'), 'blastRadius');
    assert.deepEqual(ofDomain.clients, ['basic-app', CIMD_URL, 'post-app', 'public-app']);
    const ofUser = await answer(await call('GET', '/blast-radius?user=bob'), 'blastRadius');
    assert.deepEqual([ofUser.user_id, ofUser.username, ofUser.grants], ['user-bob', 'bob', 1]);
    const ofSoftware = await answer(await call('GET', '/blast-radius?software_id=none'), 'blastRadius');
    assert.deepEqual(ofSoftware.clients, []);
    await invalid(await call('GET', '/blast-radius'), 'invalid_blast_radius_target');
    await invalid(
      await call('GET', '/blast-radius?domain=a.example&user=bob'),
      'invalid_blast_radius_target',
    );
    await invalid(await call('GET', '/blast-radius?user=nobody'), 'user_not_found', 404);

    const revoked = await answer(
      await call('POST', '/blast-radius/revocations', { body: { client_id: CIMD_URL } }),
      'revokeBlastRadius',
    );
    assert.deepEqual(
      [
        revoked.before.live_families,
        revoked.grants_revoked,
        revoked.families_revoked,
        revoked.after.live_families,
      ],
      [2, 2, 2, 0],
    );
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: alice.refresh_token,
      client_id: CIMD_URL,
    });
    assert.equal(refresh.status, 400);
    const [event] = await t.store.audit.list({ type: 'blast_radius.revoked' });
    assert.equal(event?.actor, actor);
    assert.equal(event?.clientId, CIMD_URL);
  });

  it("lists a user's and a client's connections, and revokes one", async () => {
    const { t, call, use, invalid, actor } = await inventoryServer();
    const a = await use('alice', INSTALLATION_A);
    const b = await use('alice', INSTALLATION_B);
    const ofAlice = await answer(await call('GET', '/users/alice/connections'), 'userConnections');
    assert.deepEqual(
      ofAlice.connections.map((connection) => [
        connection.client_id,
        connection.redirect_uri,
        connection.live_sessions,
      ]),
      [
        [CIMD_URL, INSTALLATION_A, 1],
        [CIMD_URL, INSTALLATION_B, 1],
      ],
    );
    const ofClient = await answer(await call('GET', `/clients/${encoded}/connections`), 'clientConnections');
    assert.deepEqual(
      ofClient.connections.map((connection) => connection.username),
      ['alice', 'alice'],
    );
    const grantId = ofAlice.connections[0]!.grant_id;
    const revoked = await answer(await call('DELETE', `/connections/${grantId}`), 'revokeConnection');
    assert.equal(revoked.redirect_uri, INSTALLATION_A);
    const refresh = (token: string) =>
      t.token({ grant_type: 'refresh_token', refresh_token: token, client_id: CIMD_URL });
    assert.equal((await refresh(a.refresh_token)).status, 400);
    assert.equal((await refresh(b.refresh_token)).status, 200);
    assert.equal((await t.store.audit.list({ type: 'grant.revoked' }))[0]?.actor, actor);
    await invalid(await call('DELETE', `/connections/${grantId}`), 'grant_not_found', 404);
    await invalid(await call('GET', '/users/nobody/connections'), 'user_not_found', 404);
    await invalid(await call('GET', '/clients/nobody/connections'), 'client_not_found', 404);
  });
});
