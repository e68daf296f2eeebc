/**
 * Trust tiers (issue #13 item 4, docs/governance.md "Trust tiers"): the scope ceiling at the
 * authorization endpoint, PAR and the token endpoint, narrowed by the client's own scope, reaching
 * existing sessions.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL } from './support/stub-documents.ts';
import { createTestServer, OTHER_RESOURCE, RESOURCE } from './support/test-server.ts';
import { placeInTier, refresh, type Tokens, withDocuments } from './support/trust-tiers.ts';

describe('trust tiers: the scope ceiling (tier ∩ the client’s own scope ∩ what the resource offers)', () => {
  it('refuses a scope above the tier’s ceiling at the authorization endpoint and PAR; defaults are filtered', async () => {
    const t = await createTestServer({ governance: { tiers: { trusted: { scopes: ['mcp:admin'] } } } });
    const response = await t.send(t.authorizationUrl({ scope: 'mcp:tools' }));
    await assertRefusal(t, response, { status: 303, error: 'invalid_scope', reason: 'scope_not_allowed' });
    const pushed = await t.post('/par', t.authorizationParams({ scope: 'mcp:tools mcp:admin' }));
    await assertRefusal(t, pushed, { status: 400, error: 'invalid_scope', reason: 'scope_not_allowed' });
    // No scope asked: the resource's default (mcp:tools) is above the ceiling, so none is granted.
    assert.equal((await t.tokensFor({ scope: undefined })).scope, '');
    assert.equal((await t.tokensFor({ scope: 'mcp:admin' })).scope, 'mcp:admin');
  });

  it('a tier ceiling narrows a document’s wide scope', async () => {
    const t = await withDocuments(
      { governance: { tiers: { verifiedDomain: { scopes: ['mcp:tools'] } } } },
      { scope: 'mcp:tools mcp:admin' },
    );
    const response = await t.send(t.authorizationUrl({ client_id: CIMD_URL, scope: 'mcp:admin' }));
    await assertRefusal(t, response, { status: 303, error: 'invalid_scope', reason: 'scope_not_allowed' });
    assert.equal((await t.tokensFor({ client_id: CIMD_URL, scope: 'mcp:tools' })).scope, 'mcp:tools');
  });

  it('a document narrows what the tier allows, never widens it', async () => {
    const t = await withDocuments(
      { governance: { tiers: { verifiedDomain: { scopes: ['mcp:tools', 'mcp:admin'] } } } },
      { scope: 'mcp:tools api:read' },
    );
    for (const [scope, resource] of [
      ['mcp:admin', RESOURCE], // the tier allows it, the document does not ask for it
      ['api:read', OTHER_RESOURCE], // the document asks for it, the tier does not allow it
    ] as const) {
      const response = await t.send(t.authorizationUrl({ client_id: CIMD_URL, scope, resource }));
      await assertRefusal(t, response, { status: 303, error: 'invalid_scope', reason: 'scope_not_allowed' });
    }
    assert.equal((await t.tokensFor({ client_id: CIMD_URL, scope: 'mcp:tools' })).scope, 'mcp:tools');
  });

  it('narrows the tokens of an existing session when the ceiling shrinks; asking for more is refused', async () => {
    const t = await createTestServer({ governance: { tiers: { selfAsserted: { scopes: ['mcp:tools'] } } } });
    const tokens = await t.tokensFor({ scope: 'mcp:tools mcp:admin' });
    assert.equal(tokens.scope, 'mcp:tools mcp:admin');
    await placeInTier(t, 'public-app', 'self-asserted');
    const wider = await refresh(t, tokens.refresh_token!, { scope: 'mcp:admin' });
    await assertRefusal(t, wider, { status: 400, error: 'invalid_scope', reason: 'scope_not_allowed' });
    const narrowed = (await (await refresh(t, tokens.refresh_token!)).json()) as Tokens;
    assert.equal(narrowed.scope, 'mcp:tools');
    assert.equal(decodeJwt(narrowed.access_token).scope, 'mcp:tools');
  });
});
