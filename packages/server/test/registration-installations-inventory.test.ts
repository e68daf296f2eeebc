/**
 * Operators see a recognised (shared) registration once, its installation registrations under it
 * (issue #17 item 2, decision 0046, docs/inventory.md): the inventory listing leaves installations
 * out unless asked for those of one shared record; `show` of the shared record counts and names
 * them and reaches what they hold; an installation's entry names its shared record. Through the
 * service and the admin API (answers parsed by the schemas the OpenAPI document is made of).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inventoryDetailSchema, inventoryPageSchema } from '../src/admin/inventory-schemas.ts';
import { hashPassword } from '../src/users/password.ts';
import { type Json, publicClient } from './support/registration.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const native = { ...publicClient, software_id: 'desktop-app' };

async function twoInstallations() {
  const t = await createTestServer();
  const install = async () => ((await (await t.register(native)).json()) as Json).client_id as string;
  const a = await install();
  const b = await install();
  const sharedId = (await t.store.clients.get(a))?.registration?.sharedRegistration;
  assert.ok(sharedId !== undefined);
  return { t, a, b, sharedId, inventory: t.server.inventory };
}

describe('the inventory of a shared registration and its installations (decision 0046)', () => {
  it('lists the shared record once; its installations only when asked for', async () => {
    const { a, b, sharedId, inventory } = await twoInstallations();
    const dcr = (await inventory.list({ kind: 'dcr' })).entries;
    assert.deepEqual(
      dcr.map((entry) => [entry.clientId, entry.shared]),
      [[sharedId, true]],
    );
    const installations = (await inventory.list({ installationsOf: sharedId })).entries;
    assert.deepEqual(
      installations.map((entry) => [entry.clientId, entry.sharedRegistration]),
      [a, b].sort().map((id) => [id, sharedId]),
    );
  });

  it("show counts and names a shared record's installations and reaches what they hold", async () => {
    const { t, a, b, sharedId, inventory } = await twoInstallations();
    await t.tokensFor({ client_id: a });
    await t.tokensFor({ client_id: b });
    const detail = await inventory.show(sharedId);
    assert.deepEqual(detail?.installationRegistrations, { count: 2, clientIds: [a, b].sort() });
    assert.equal(detail?.reach.grants, 2);
    assert.equal(detail?.reach.usersWithLiveGrants, 1);
    // Seen when its installations are: `--idle-days` never offers it for removal while they are used.
    assert.equal(detail?.lastSeenAt, t.now());
    const mine = await inventory.show(a);
    assert.equal(mine?.sharedRegistration, sharedId);
    assert.equal(mine?.installationRegistrations, undefined);
    assert.equal(mine?.reach.grants, 1);
    // The blast radius of the software's entry is every installation's.
    const radius = await inventory.reach({ clientId: sharedId });
    assert.deepEqual([...radius.clients].sort(), [sharedId, a, b].sort());
    const revoked = await inventory.revokeReach({ clientId: sharedId }, { actor: 'cli:operator' });
    assert.equal(revoked.grantsRevoked, 2, "every installation's grant");
    assert.equal((await inventory.show(sharedId))?.reach.grants, 0);
  });

  it('a state filter finds the installations a rule on their shared record decides', async () => {
    const { t, a, b, sharedId, inventory } = await twoInstallations();
    await t.server.governance.block(sharedId, { actor: 'cli:operator' });
    const blocked = (await inventory.list({ state: 'blocked', installationsOf: sharedId })).entries;
    assert.deepEqual(
      blocked.map((entry) => entry.clientId),
      [a, b].sort(),
    );
  });

  it("the console's client page names a shared record's installations, and an installation's shared record", async () => {
    const { t, a, b, sharedId } = await twoInstallations();
    await t.store.users.create({
      id: 'user-root',
      username: 'root',
      passwordHash: await hashPassword(PASSWORD),
      createdAt: 0,
      admin: true,
    });
    const login = await t.send(`${ISSUER}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
      body: new URLSearchParams({ username: 'root', password: PASSWORD }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = async (clientId: string) => {
      const response = await t.send(`${ISSUER}/admin/client?client_id=${encodeURIComponent(clientId)}`, {
        headers: { cookie },
      });
      assert.equal(response.status, 200);
      return response.text();
    };
    const shared = await page(sharedId);
    assert.match(shared, /Installation registrations<\/dt><dd>2/);
    for (const id of [a, b]) assert.ok(shared.includes(`<code>${id}</code>`));
    assert.match(await page(a), new RegExp(`Shared registration</dt><dd><a [^>]+><code>${sharedId}</code>`));
  });

  it('the admin API lists and shows the same', async () => {
    const { t, a, b, sharedId } = await twoInstallations();
    const { token } = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
    const get = async (path: string) => {
      const response = await t.send(`${ISSUER}/admin/v1${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      return response.json();
    };
    const page = inventoryPageSchema.parse(await get('/clients?kind=dcr'));
    assert.deepEqual(
      page.clients.map((entry) => entry.client_id),
      [sharedId],
    );
    const installations = inventoryPageSchema.parse(await get(`/clients?installations_of=${sharedId}`));
    assert.deepEqual(
      installations.clients.map((entry) => [entry.client_id, entry.shared_registration]),
      [a, b].sort().map((id) => [id, sharedId]),
    );
    const detail = inventoryDetailSchema.parse(await get(`/clients/${sharedId}`));
    assert.equal(detail.shared, true);
    assert.deepEqual(detail.installation_registrations, { count: 2, client_ids: [a, b].sort() });
  });
});
