/** The client inventory's connections (issue #14): a user's grants per client and installation, a client's per user, and revoking one. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSTALLATION_A, INSTALLATION_B, inventoryServer } from './support/client-inventory.ts';
import { CIMD_URL } from './support/stub-documents.ts';

describe('inventory: connections', () => {
  it("lists a user's grants per client and installation and a client's per user; revoking one ends its sessions", async () => {
    const { t, use, refresh, inventory } = await inventoryServer();
    const a = await use('alice', CIMD_URL, INSTALLATION_A);
    const b = await use('alice', CIMD_URL, INSTALLATION_B);
    await use('bob', CIMD_URL, INSTALLATION_A);
    const ofAlice = await inventory.connections.ofUser('alice');
    assert.equal(ofAlice.userId, 'user-alice');
    assert.deepEqual(
      ofAlice.connections.map((connection) => [
        connection.clientId,
        connection.clientName,
        connection.redirectUri,
        connection.liveSessions,
        connection.scope,
      ]),
      [
        [CIMD_URL, 'Example CIMD client', INSTALLATION_A, 1, ['mcp:tools']],
        [CIMD_URL, 'Example CIMD client', INSTALLATION_B, 1, ['mcp:tools']],
      ],
    );
    const ofClient = await inventory.connections.ofClient(CIMD_URL);
    assert.deepEqual(
      ofClient.connections.map((connection) => [connection.username, connection.redirectUri]),
      [
        ['alice', INSTALLATION_A],
        ['alice', INSTALLATION_B],
        ['bob', INSTALLATION_A],
      ],
    );
    const revoked = await inventory.connections.revoke(ofAlice.connections[0]!.grantId, {
      actor: 'console:ops',
    });
    assert.equal(revoked.redirectUri, INSTALLATION_A);
    assert.equal(revoked.liveSessions, 1, 'the sessions it ended');
    assert.equal((await refresh(CIMD_URL, a)).status, 400);
    assert.equal((await refresh(CIMD_URL, b)).status, 200, 'the other installation is untouched');
    const [event] = await t.store.audit.list({ type: 'grant.revoked' });
    assert.deepEqual(
      [event?.actor, event?.userId, event?.detail?.redirect_uri],
      ['console:ops', 'user-alice', INSTALLATION_A],
    );
    await assert.rejects(inventory.connections.revoke(revoked.grantId, { actor: 'x' }), {
      reason: 'grant_not_found',
    });
    await assert.rejects(inventory.connections.ofUser('nobody'), { reason: 'user_not_found' });
  });
});
