/** Trust tiers (issue #13 item 4): consent remembered or asked every time, and prompt=none. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import { createTestServer } from './support/test-server.ts';
import { atClient, placeInTier } from './support/trust-tiers.ts';

describe('trust tiers: consent', () => {
  it('every-time asks at every authorization, even when a grant covers it; prompt=none answers consent_required', async () => {
    const t = await createTestServer({ governance: { tiers: { trusted: { consent: 'every-time' } } } });
    const ua = t.userAgent();
    await t.authorize({}, ua);
    const again = await ua.navigate(t.authorizationUrl(), atClient);
    assert.ok(isPage(again) && again.html.includes('name="decision"'), 'asked again');
    const silent = await ua.navigate(t.authorizationUrl({ prompt: 'none' }), atClient);
    assert.ok(!isPage(silent));
    assert.equal(new URL(silent.redirectedTo).searchParams.get('error'), 'consent_required');
    assert.deepEqual(t.lastOutcome(), {
      error: 'consent_required',
      reason: 'consent_required',
      clientId: 'public-app',
    });
  });

  it('remembered answers a covered request without asking; local asks every time by default', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({}, ua);
    const silent = await ua.navigate(t.authorizationUrl({ prompt: 'none' }), atClient);
    assert.ok(!isPage(silent) && new URL(silent.redirectedTo).searchParams.has('code'));
    await placeInTier(t, 'public-app', 'local');
    const asked = await ua.navigate(t.authorizationUrl(), atClient);
    assert.ok(isPage(asked) && asked.html.includes('name="decision"'), 'local: asked again');
  });
});
