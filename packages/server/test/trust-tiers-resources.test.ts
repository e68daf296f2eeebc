/** Trust tiers (issue #13 item 4): the resources a tier lists (RFC 8707, MCP-9), at the authorization endpoint, PAR and the token endpoint. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER, OTHER_RESOURCE, PASSWORD, RESOURCE } from './support/test-server.ts';
import { placeInTier, refresh, type Tokens } from './support/trust-tiers.ts';

describe('trust tiers: resources (RFC 8707, MCP-9)', () => {
  it('refuses a resource the tier does not list at the authorization endpoint, PAR and the token endpoint', async () => {
    const t = await createTestServer({ governance: { tiers: { trusted: { resources: [RESOURCE] } } } });
    const response = await t.send(t.authorizationUrl({ resource: OTHER_RESOURCE, scope: 'api:read' }));
    await assertRefusal(t, response, {
      status: 303,
      error: 'invalid_target',
      reason: 'resource_not_allowed_for_tier',
    });
    const pushed = await t.post(
      '/par',
      t.authorizationParams({ resource: OTHER_RESOURCE, scope: 'api:read' }),
    );
    await assertRefusal(t, pushed, {
      status: 400,
      error: 'invalid_target',
      reason: 'resource_not_allowed_for_tier',
    });
    assert.equal(decodeJwt((await t.tokensFor()).access_token).aud, RESOURCE);

    // A session for both resources begun in a tier that listed both, refreshed after a move.
    const both = await createTestServer({ governance: { tiers: { local: { resources: [RESOURCE] } } } });
    const url = `${both.authorizationUrl({ scope: 'mcp:tools api:read' })}&resource=${encodeURIComponent(OTHER_RESOURCE)}`;
    const callback = await authorizeInBrowser(both.userAgent(), url, ISSUER, {
      username: 'alice',
      password: PASSWORD,
    });
    const tokens = (await (await both.token(both.redeemParams(callback))).json()) as Tokens;
    assert.equal(tokens.scope, 'mcp:tools api:read');
    await placeInTier(both, 'public-app', 'local');
    const refused = await refresh(both, tokens.refresh_token!);
    await assertRefusal(both, refused, {
      status: 400,
      error: 'invalid_target',
      reason: 'resource_not_allowed_for_tier',
    });
    const picked = await refresh(both, tokens.refresh_token!, { resource: RESOURCE });
    assert.equal(((await picked.json()) as Tokens).scope, 'mcp:tools', 'the allowed resource still is');
  });
});
