/** `server.governance` (issue #13): an operator's block applies on this instance at once, to the client and its refresh tokens. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestServer } from './support/test-server.ts';

describe('server.governance', () => {
  it('a block applies on this instance at once: the client is refused and its refresh token too', async () => {
    const t = await createTestServer();
    const tokens = await t.tokensFor();
    assert.ok(tokens.refresh_token);
    const result = await t.server.governance.block('public-app', { actor: 'console:alice' });
    assert.equal(result.revoked[0]?.result.familiesRevoked, 1);
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: 'public-app',
    });
    assert.ok(refresh.status >= 400);
    const authorize = await t.send(t.authorizationUrl());
    assert.ok(authorize.status >= 400, `refused, not ${authorize.status}`);
    assert.equal(t.lastOutcome()?.reason, 'client_blocked');

    await t.server.governance.unblock('public-app', { actor: 'console:alice' });
    assert.equal((await t.send(t.authorizationUrl())).status, 303, 'admitted again at once');
    await t.server.stop();
  });
});
