/** Trust tiers (issue #13 item 4): `refresh: false` issues no refresh token and refuses the refresh grant. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRefusal } from './support/refusal.ts';
import { contextOf } from './support/server-internals.ts';
import { createTestServer } from './support/test-server.ts';
import { placeInTier, refresh } from './support/trust-tiers.ts';

describe('trust tiers: refresh', () => {
  it('refresh: false issues no refresh token and refuses the refresh grant, keeping the session', async () => {
    const t = await createTestServer({ governance: { tiers: { local: { refresh: false } } } });
    const tokens = await t.tokensFor();
    assert.ok(tokens.refresh_token, 'trusted: refresh allowed');
    await placeInTier(t, 'public-app', 'local');
    assert.equal((await t.tokensFor()).refresh_token, undefined, 'MCP-17: the server’s choice');
    const refused = await refresh(t, tokens.refresh_token!);
    await assertRefusal(t, refused, {
      status: 400,
      error: 'unauthorized_client',
      reason: 'refresh_not_allowed_for_tier',
    });
    await t.store.governance.deleteRule('public-app');
    await contextOf(t.server).governance.reload();
    assert.equal((await refresh(t, tokens.refresh_token!)).status, 200, 'the session was kept');
  });
});
