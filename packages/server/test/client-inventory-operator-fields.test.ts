/** The client inventory's operator fields (issue #14, item 7): set, merged, cleared, audited with their actor and before/after; refusals. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inventoryServer } from './support/client-inventory.ts';

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
