/**
 * The operator's governance operations (governance/governance-admin.ts, issue #13): unblock, setTier,
 * deleteRule and release; a call that changes nothing writes nothing, file rules are never written.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOAuthError } from '@gatehouse-oauth/core';
import { ACTOR, CIMD_A, refusedWith, setup, T } from './support/governance-admin.ts';

describe('governance admin: unblock, setTier, deleteRule, release', () => {
  it('unblock deletes a stored block; without one it says so and writes nothing', async () => {
    const t = setup();
    await t.admin.block(CIMD_A, { actor: ACTOR });
    const change = await t.admin.unblock(CIMD_A, { actor: ACTOR });
    assert.equal(change.before?.state, 'blocked');
    assert.equal(change.after, undefined);
    assert.deepEqual(await t.store.governance.listRules(), []);
    assert.equal((await t.changes()).length, 2);

    const events = (await t.events()).length;
    await assert.rejects(t.admin.unblock(CIMD_A, { actor: ACTOR }), (error: unknown) => {
      assert.ok(isOAuthError(error));
      assert.equal(error.reason, 'rule_not_found');
      assert.equal(error.status, 404);
      assert.match(error.description ?? '', /no stored block for https:\/\/app\.example\.com/);
      return true;
    });
    await t.admin.approve(CIMD_A, { actor: ACTOR });
    await assert.rejects(t.admin.unblock(CIMD_A, { actor: ACTOR }), refusedWith('rule_not_found'));
    assert.equal((await t.events()).length, events + 1, 'only the approval audited');
  });

  it('unblock of a block from the configuration file is refused, saying where the block is', async () => {
    const t = setup({
      fileRules: [{ selector: 'domain:evil.example', state: 'blocked', note: 'known bad' }],
    });
    await assert.rejects(t.admin.unblock('domain:EVIL.example', { actor: ACTOR }), (error: unknown) => {
      assert.ok(isOAuthError(error));
      assert.equal(error.reason, 'rule_in_configuration_file');
      assert.equal(error.status, 409);
      assert.match(error.description ?? '', /domain:evil\.example comes from the configuration file/);
      return true;
    });
    await assert.rejects(
      t.admin.deleteRule('domain:evil.example', { actor: ACTOR }),
      refusedWith('rule_in_configuration_file'),
    );
    assert.deepEqual(await t.events(), []);
    assert.deepEqual(await t.changes(), []);
  });

  it('setTier keeps the state; the same tier again changes nothing', async () => {
    const t = setup();
    await t.admin.approve('software:acme-agent', { actor: ACTOR, owner: 'acme' });
    const change = await t.admin.setTier('software:acme-agent', {
      actor: 'admin-token:t1',
      tier: 'self-asserted',
    });
    assert.deepEqual(
      [change.after?.state, change.after?.tier, change.after?.owner],
      ['approved', 'self-asserted', 'acme'],
    );
    const [event] = await t.events();
    assert.equal(event!.type, 'governance.rule_changed');
    assert.equal(event!.actor, 'admin-token:t1');
    assert.equal((event!.detail!.before as { tier?: string }).tier, undefined);
    await t.admin.setTier('software:acme-agent', { actor: ACTOR, tier: 'self-asserted' });
    assert.equal((await t.events()).length, 2);
    assert.equal((await t.changes()).length, 2);
  });

  it('deleteRule removes a stored rule of any state; a missing one is rule_not_found', async () => {
    const t = setup();
    await t.admin.approve('kind:dcr', { actor: ACTOR });
    const change = await t.admin.deleteRule('kind:dcr', { actor: ACTOR });
    assert.equal(change.after, undefined);
    assert.equal(change.before?.state, 'approved');
    const [event] = await t.events();
    assert.equal(event!.type, 'governance.rule_deleted');
    assert.equal(event!.detail?.after, null);
    await assert.rejects(t.admin.deleteRule('kind:dcr', { actor: ACTOR }), refusedWith('rule_not_found'));
  });

  it('release ends a hold once, audited; releasing again is false and writes nothing', async () => {
    const t = setup();
    await t.store.governance.hold({ clientId: CIMD_A, reason: 'jwks_uri changed', at: T });
    assert.equal(await t.admin.release(CIMD_A, { actor: ACTOR }), true);
    assert.equal(await t.admin.release(CIMD_A, { actor: ACTOR }), false);
    const events = await t.events();
    assert.deepEqual(
      events.map((event) => [event.type, event.clientId, event.actor, event.detail]),
      [['governance.hold_released', CIMD_A, ACTOR, { hold_reason: 'jwks_uri changed', held_at: T }]],
    );
    assert.equal((await t.changes()).length, 1);
  });
});
