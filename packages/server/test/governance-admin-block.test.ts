/**
 * The operator's governance operations (governance/governance-admin.ts, issue #13), block: a block
 * revokes every grant of each stored client it selects (exact or by domain), through the one client
 * lifecycle, audited; tiers kept across block and unblock.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import {
  ACTOR,
  CIMD_A,
  CIMD_B,
  CIMD_OTHER,
  cimdClient,
  grantFor,
  live,
  setup,
  T,
} from './support/governance-admin.ts';

describe('governance admin: block', () => {
  it('an exact client_id: stores the block, revokes its grants through the lifecycle, audits both', async () => {
    const t = setup();
    await t.store.clients.put(cimdClient(CIMD_A));
    await grantFor(t.store, CIMD_A);
    await grantFor(t.store, CIMD_A, 'user-2');
    await grantFor(t.store, CIMD_OTHER);
    await t.store.governance.recordAccessRequest({ clientId: CIMD_A, userId: 'user-3', at: T });

    const result = await t.admin.block(CIMD_A, { actor: ACTOR, reason: 'phishing' });
    assert.equal(result.after?.state, 'blocked');
    assert.equal(result.after?.note, 'phishing');
    assert.deepEqual(
      result.revoked.map(({ clientId, result }) => [clientId, result.grantsRevoked, result.familiesRevoked]),
      [[CIMD_A, 2, 2]],
    );
    const after = await live(t.store, CIMD_A);
    assert.deepEqual([after.grants, after.families], [0, 0]);
    assert.deepEqual(after.familyReasons, ['client_blocked', 'client_blocked']);
    assert.equal((await live(t.store, CIMD_OTHER)).grants, 1, 'another client keeps its grant');
    assert.deepEqual(await t.store.governance.listAccessRequests(), []);

    const [revokedEvent] = await t.store.audit.list({ type: 'client.revoked' });
    assert.equal(revokedEvent!.reason, 'client_blocked');
    assert.equal(revokedEvent!.actor, ACTOR);
    assert.equal(revokedEvent!.clientId, CIMD_A);
    const [event, ...more] = await t.events();
    assert.equal(more.length, 0);
    assert.equal(event!.type, 'governance.client_blocked');
    assert.equal(event!.actor, ACTOR);
    assert.deepEqual(event!.detail, {
      selector: CIMD_A,
      before: null,
      after: result.after,
      clients_selected: 1,
      grants_revoked: 2,
      families_revoked: 2,
      access_requests_cleared: 1,
    });
    assert.deepEqual(
      (await t.changes()).map((change) => change.clientId),
      [CIMD_A],
    );

    // Blocking again: nothing stored, revoked, published or audited.
    const again = await t.admin.block(CIMD_A, { actor: ACTOR, reason: 'phishing' });
    assert.equal(again.changed, false);
    assert.deepEqual(again.revoked[0]?.result.grantsRevoked, 0);
    assert.equal((await t.events()).length, 1);
    assert.equal((await t.changes()).length, 1);
  });

  it('a domain: rule revokes every stored client on that domain and its subdomains, and no other', async () => {
    const t = setup();
    for (const id of [CIMD_A, CIMD_B, CIMD_OTHER]) {
      await t.store.clients.put(cimdClient(id));
      await grantFor(t.store, id);
    }
    // Static and dynamic clients have no client_id host: a domain: rule never selects them.
    await t.store.clients.put(
      prepareStaticClient(
        {
          client_id: 'static-app',
          redirect_uris: ['https://app.example.com/cb'],
          token_endpoint_auth_method: 'none',
        },
        T,
      ).record,
    );
    await grantFor(t.store, 'static-app');

    const result = await t.admin.block('domain:example.com', { actor: ACTOR });
    assert.deepEqual(result.revoked.map(({ clientId }) => clientId).sort(), [CIMD_A, CIMD_B].sort());
    assert.equal((await live(t.store, CIMD_A)).grants, 0);
    assert.equal((await live(t.store, CIMD_B)).grants, 0);
    assert.equal((await live(t.store, CIMD_OTHER)).grants, 1);
    assert.equal((await live(t.store, 'static-app')).grants, 1);
    assert.equal((await t.store.audit.list({ type: 'client.revoked' })).length, 2);
    const [event] = await t.events();
    assert.equal(event!.clientId, undefined);
    assert.equal(event!.detail?.clients_selected, 2);
    assert.equal(event!.detail?.grants_revoked, 2);
  });

  it('reads every stored client, page after page', async () => {
    const t = setup();
    for (let index = 0; index < 1203; index++) {
      await t.store.clients.put(
        cimdClient(`https://c${String(index).padStart(4, '0')}.example.org/client.json`),
      );
    }
    const result = await t.admin.block('domain:example.org', { actor: ACTOR });
    assert.equal(result.revoked.length, 1203);
  });

  it('keeps a tier the rule placed; unblock then keeps the tier and drops the block', async () => {
    const t = setup();
    await t.admin.setTier('host:app.example.com', { actor: ACTOR, tier: 'trusted' });
    const blocked = await t.admin.block('host:app.example.com', { actor: ACTOR, reason: 'incident 42' });
    assert.deepEqual([blocked.after?.state, blocked.after?.tier], ['blocked', 'trusted']);
    const unblocked = await t.admin.unblock('host:APP.example.com', { actor: 'console:bob' });
    assert.deepEqual(unblocked.before, blocked.after);
    assert.equal(unblocked.after?.state, undefined);
    assert.equal(unblocked.after?.note, undefined);
    assert.equal(unblocked.after?.tier, 'trusted');
    const [event] = await t.events();
    assert.equal(event!.type, 'governance.client_unblocked');
    assert.equal(event!.actor, 'console:bob');
    assert.deepEqual(event!.detail, {
      selector: 'host:app.example.com',
      before: blocked.after,
      after: unblocked.after,
    });
  });
});
