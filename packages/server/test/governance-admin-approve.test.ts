/**
 * The operator's governance operations (governance/governance-admin.ts, issue #13), approve: the rule
 * stored in one spelling, published on the client change feed, audited once with its actor and the
 * rule before and after; a call that changes nothing writes nothing; holds released; refusals carry
 * stable reasons.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR, CIMD_A, CIMD_OTHER, refusedWith, setup, T } from './support/governance-admin.ts';

describe('governance admin: approve', () => {
  it('stores the rule in one spelling, publishes it, reloads here and audits actor, before and after', async () => {
    const t = setup();
    const change = await t.admin.approve(`id:${CIMD_A}`, {
      actor: ACTOR,
      tier: 'trusted',
      owner: 'team-a',
      note: 'reviewed',
    });
    assert.equal(change.selector, CIMD_A);
    assert.equal(change.changed, true);
    assert.equal(change.before, undefined);
    assert.deepEqual(change.after, {
      selector: CIMD_A,
      state: 'approved',
      tier: 'trusted',
      owner: 'team-a',
      note: 'reviewed',
      updatedBy: ACTOR,
      createdAt: T,
      updatedAt: T,
    });
    assert.deepEqual(await t.store.governance.listRules(), [change.after]);
    assert.deepEqual(
      (await t.changes()).map(({ clientId, kind }) => [clientId, kind]),
      [[CIMD_A, 'governance']],
    );
    assert.equal(t.reloads(), 1);
    const [event, ...more] = await t.events();
    assert.equal(more.length, 0);
    assert.equal(event!.type, 'governance.client_approved');
    assert.equal(event!.actor, ACTOR);
    assert.equal(event!.clientId, CIMD_A);
    assert.deepEqual(event!.detail, { selector: CIMD_A, before: null, after: change.after });
  });

  it('keeps the stored tier and owner when not given; a second identical approve changes nothing', async () => {
    const t = setup();
    await t.admin.approve('domain:Example.com', { actor: ACTOR, tier: 'verified-domain', owner: 'web' });
    t.advance(1000);
    const again = await t.admin.approve('domain:example.com', { actor: 'console:bob' });
    assert.equal(again.before?.updatedBy, ACTOR);
    assert.equal(again.changed, false);
    assert.equal(again.after, again.before, 'nothing rewritten');
    assert.equal((await t.changes()).length, 1, 'nothing published');
    assert.equal((await t.events()).length, 1, 'nothing audited');

    const noted = await t.admin.approve('domain:example.com', { actor: 'console:bob', note: 'vendor' });
    assert.deepEqual(
      [noted.after?.tier, noted.after?.owner, noted.after?.note, noted.after?.updatedBy],
      ['verified-domain', 'web', 'vendor', 'console:bob'],
    );
    assert.equal(noted.after?.createdAt, T);
    assert.equal(noted.after?.updatedAt, T + 1000);
    const [latest] = await t.events();
    assert.deepEqual(latest!.detail?.before, again.before);
    assert.equal(latest!.clientId, undefined, 'a domain: rule names no one client');
  });

  it('releases the exact client’s hold and clears its access requests', async () => {
    const t = setup({ mode: 'approval' });
    await t.store.governance.hold({ clientId: CIMD_A, reason: 'redirect_uris changed', at: T });
    await t.store.governance.recordAccessRequest({ clientId: CIMD_A, userId: 'user-1', at: T });
    await t.store.governance.recordAccessRequest({ clientId: CIMD_OTHER, userId: 'user-1', at: T });
    await t.admin.approve(CIMD_A, { actor: ACTOR });
    const pending = await t.admin.pending();
    assert.deepEqual(pending.holds, []);
    assert.deepEqual(
      pending.requests.map((request) => request.clientId),
      [CIMD_OTHER],
    );
    const [event] = await t.events();
    assert.equal(event!.detail?.hold_released, true);
    assert.equal(event!.detail?.access_requests_cleared, 1);
  });

  it('refuses a selector that cannot match anything (invalid_selector) and a bad tier (invalid_rule)', async () => {
    const t = setup();
    await assert.rejects(t.admin.approve('host:', { actor: ACTOR }), refusedWith('invalid_selector'));
    await assert.rejects(
      t.admin.approve('https://*.example.com/client.json', { actor: ACTOR }),
      refusedWith('invalid_selector'),
    );
    await assert.rejects(
      // @ts-expect-error: what an untyped caller (the admin API's JSON) may send
      t.admin.approve(CIMD_A, { actor: ACTOR, tier: 'gold' }),
      refusedWith('invalid_rule'),
    );
    await assert.rejects(
      t.admin.approve(CIMD_A, { actor: ACTOR, note: 'two\nlines' }),
      refusedWith('invalid_rule'),
    );
    await assert.rejects(t.admin.block(CIMD_A, { actor: ACTOR, reason: '' }), refusedWith('invalid_rule'));
    assert.deepEqual(await t.store.governance.listRules(), []);
    assert.deepEqual(await t.events(), []);
  });
});
