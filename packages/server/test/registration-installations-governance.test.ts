/**
 * Governance sees the software, not just the copy (issue #17 item 2, decision 0046): a rule naming
 * a shared (recognised) registration's client_id governs its installations; blocking it revokes
 * theirs and refuses their management; removing it removes them; metadata selectors match each
 * installation by itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationServerOptions } from '../src/options.ts';
import { type Json, publicClient } from './support/registration.ts';
import { createTestServer } from './support/test-server.ts';

const native = { ...publicClient, software_id: 'desktop-app' };

async function twoInstallations(overrides: Partial<AuthorizationServerOptions> = {}) {
  const t = await createTestServer(overrides);
  const install = async () => {
    const info = (await (await t.register(native)).json()) as Json;
    return {
      clientId: info.client_id as string,
      uri: info.registration_client_uri as string,
      token: info.registration_access_token as string,
    };
  };
  const a = await install();
  const b = await install();
  const sharedId = (await t.store.clients.get(a.clientId))?.registration?.sharedRegistration;
  assert.ok(sharedId !== undefined);
  return { t, a, b, sharedId };
}

describe('governance of a shared registration and its installations (decision 0046)', () => {
  it('blocking the shared record revokes both installations and refuses their management and flows', async () => {
    const { t, a, b, sharedId } = await twoInstallations();
    const tokensA = await t.tokensFor({ client_id: a.clientId });
    const tokensB = await t.tokensFor({ client_id: b.clientId });
    const result = await t.server.governance.block(sharedId, { actor: 'cli:operator' });
    assert.deepEqual(
      result.revoked.map(({ clientId }) => clientId).sort(),
      [sharedId, a.clientId, b.clientId].sort(),
    );
    for (const [installed, tokens] of [
      [a, tokensA],
      [b, tokensB],
    ] as const) {
      const refresh = await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: installed.clientId,
      });
      assert.equal(refresh.status >= 400, true);
      const manage = await t.manage(installed.uri, 'GET', installed.token);
      assert.equal(manage.status, 401);
      assert.equal(t.lastOutcome()?.reason, 'client_blocked');
      await t.send(t.authorizationUrl({ client_id: installed.clientId }));
      assert.equal(t.lastOutcome()?.reason, 'client_blocked');
    }
    const revoked = await t.store.audit.list({ type: 'client.revoked' });
    assert.deepEqual(revoked.map((event) => event.clientId).sort(), [a.clientId, b.clientId].sort());
  });

  it('approving the shared record admits its installations in allowlist mode', async () => {
    const { t, a, b, sharedId } = await twoInstallations({ governance: { mode: 'allowlist' } });
    await t.send(t.authorizationUrl({ client_id: a.clientId }));
    assert.equal(t.lastOutcome()?.reason, 'client_not_admitted');
    await t.server.governance.approve(sharedId, { actor: 'cli:operator' });
    for (const installed of [a, b]) {
      assert.ok((await t.tokensFor({ client_id: installed.clientId })).access_token);
    }
  });

  it('a metadata selector (software:) matches each installation by itself', async () => {
    const { t, a, b } = await twoInstallations();
    const result = await t.server.governance.block('software:desktop-app', { actor: 'cli:operator' });
    const selected = result.revoked.map(({ clientId }) => clientId);
    assert.ok(selected.includes(a.clientId) && selected.includes(b.clientId));
    await t.send(t.authorizationUrl({ client_id: b.clientId }));
    assert.equal(t.lastOutcome()?.reason, 'client_blocked');
  });

  it('removing the shared record (operator) removes its installations and all they held', async () => {
    const { t, a, b, sharedId } = await twoInstallations();
    const tokensA = await t.tokensFor({ client_id: a.clientId });
    await t.server.clients.remove(sharedId, { actor: 'cli:operator', reason: 'operator' });
    for (const clientId of [sharedId, a.clientId, b.clientId]) {
      assert.equal(await t.store.clients.get(clientId), undefined);
    }
    const families = await t.store.tokenFamilies.listByClient(a.clientId);
    assert.equal(families.length, 1);
    assert.equal(families[0]?.revokedReason, 'client_removed');
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokensA.refresh_token!,
      client_id: a.clientId,
    });
    assert.equal(refresh.status >= 400, true);
    const removed = (await t.store.audit.list({ type: 'client.removed' })).reverse();
    assert.deepEqual(
      removed.map((event) => [event.clientId, event.actor, event.detail?.shared_registration]),
      [
        [sharedId, 'cli:operator', undefined],
        ...[a.clientId, b.clientId].sort().map((id) => [id, 'cli:operator', sharedId]),
      ],
    );
  });

  it("revoking everything of the shared record ends every installation's sessions and keeps the records", async () => {
    const { t, a, b, sharedId } = await twoInstallations();
    const tokens = [
      await t.tokensFor({ client_id: a.clientId }),
      await t.tokensFor({ client_id: b.clientId }),
    ];
    // What POST /admin/v1/clients/{client_id}/revocations calls.
    const counts = await t.server.clients.revokeAll(sharedId, {
      actor: 'admin-token:ops',
      reason: 'operator',
    });
    assert.equal(counts.familiesRevoked, 2);
    assert.equal(counts.grantsRevoked, 2);
    for (const [index, installed] of [a, b].entries()) {
      const refresh = await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokens[index]!.refresh_token!,
        client_id: installed.clientId,
      });
      assert.equal(refresh.status, 400);
      assert.ok(await t.store.clients.get(installed.clientId), 'the registration stays');
    }
    // One event per installation, and the shared record's own: an operator's "revoke all" is
    // always audited (it also ends the tokens a client holds for itself, which no count shows).
    const revoked = await t.store.audit.list({ type: 'client.revoked' });
    assert.deepEqual(
      revoked.map((event) => [event.clientId, event.actor, event.detail?.shared_registration]).sort(),
      [
        ...[a.clientId, b.clientId].map((id) => [id, 'admin-token:ops', sharedId]),
        [sharedId, 'admin-token:ops', undefined],
      ].sort(),
    );
  });
});
