/** The operator's governance reads (governance/governance-admin.ts, issue #13): rules (file rules listed first), pending, decisionFor. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR, CIMD_A, CIMD_OTHER, cimdClient, setup, T } from './support/governance-admin.ts';

describe('governance admin: rules, pending, decisionFor', () => {
  it('lists the file rules first (origin file), then the stored ones with owner and who wrote them', async () => {
    const t = setup({
      fileRules: [
        { selector: 'id:static-app', state: 'approved', tier: 'trusted', owner: 'platform' },
        { selector: 'kind:dcr', state: 'pending' },
      ],
    });
    await t.admin.block('domain:example.net', { actor: ACTOR, reason: 'spam' });
    assert.deepEqual(await t.admin.rules(), [
      { selector: 'static-app', state: 'approved', tier: 'trusted', origin: 'file', owner: 'platform' },
      { selector: 'kind:dcr', state: 'pending', origin: 'file' },
      {
        selector: 'domain:example.net',
        state: 'blocked',
        origin: 'stored',
        note: 'spam',
        updatedBy: ACTOR,
        updatedAt: T,
      },
    ]);
  });

  it('decides for a stored client on its record, for a document client not stored on its client_id', async () => {
    const t = setup({ mode: 'approval' });
    await t.store.clients.put(cimdClient(CIMD_A, { software_id: 'acme-agent' }));
    assert.equal((await t.admin.decisionFor(CIMD_A))?.state, 'pending');
    await t.admin.approve('software:acme-agent', { actor: ACTOR });
    const approved = await t.admin.decisionFor(CIMD_A);
    assert.equal(approved?.state, 'approved');
    assert.equal(approved?.stateRule?.selector, 'software:acme-agent');

    await t.admin.block('domain:example.net', { actor: ACTOR });
    const refused = await t.admin.decisionFor(CIMD_OTHER);
    assert.equal(refused?.state, 'blocked');
    assert.equal(refused?.refusal, 'client_blocked');
    assert.equal(await t.admin.decisionFor('never-heard-of'), undefined);
  });
});
