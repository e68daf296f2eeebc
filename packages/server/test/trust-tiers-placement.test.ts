/**
 * Trust tiers (issue #13 item 4, `governance.tiers`, docs/governance.md "Trust tiers"): the tier a
 * client gets by default (RFC 8252 §8.6 for local clients) and by a rule, stated on the consent page,
 * evaluated on every request, and what a lookup costs.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import { decisionOf, tierPolicyOf } from '../src/governance/tier-policy.ts';
import type { ConsentPageModel } from '../src/pages/consent-page.ts';
import { assertRefusal } from './support/refusal.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, LOOPBACK_REDIRECT, PASSWORD } from './support/test-server.ts';
import {
  atClient,
  consentPage,
  placeInTier,
  register,
  tierOnPage,
  withDocuments,
} from './support/trust-tiers.ts';

describe('trust tiers: the default tier, the weakest that applies, stated on the consent page', () => {
  it('pre-registered: trusted', async () => {
    const t = await createTestServer();
    const page = await consentPage(t);
    assert.match(
      page.html,
      /Trust tier: <strong>trusted<\/strong>\. This application was registered or approved/,
    );
  });

  it('a dynamic registration: self-asserted', async () => {
    const t = await createTestServer();
    const clientId = await register(t, [APP_REDIRECT]);
    const page = await consentPage(t, { client_id: clientId });
    assert.match(page.html, /<strong>self-asserted<\/strong>\. This application registered itself/);
  });

  it('a metadata document client with web redirects: verified-domain', async () => {
    const t = await withDocuments({}, {});
    assert.equal(await tierOnPage(t, { client_id: CIMD_URL }), 'verified domain');
  });

  it('every redirect loopback or a private-use scheme: local, whatever the kind (RFC 8252 §8.6)', async () => {
    const t = await withDocuments({}, { redirect_uris: [LOOPBACK_REDIRECT] });
    await t.addClient({ client_id: 'native-app', redirect_uris: ['com.example.app:/callback'] });
    await t.addClient({ client_id: 'cli-app', redirect_uris: [LOOPBACK_REDIRECT] });
    const dcr = await register(t, [LOOPBACK_REDIRECT]);
    for (const clientId of [CIMD_URL, dcr, 'cli-app']) {
      const page = await consentPage(t, { client_id: clientId, redirect_uri: LOOPBACK_REDIRECT });
      assert.match(page.html, /Trust tier: <strong>local application<\/strong>\./, clientId);
      // CIMD-UI-3, MCP-15: the loopback warning says it; the tier's sentence is not repeated.
      assert.match(page.html, /loopback address/);
      assert.doesNotMatch(page.html, /any program there could be asking/);
    }
    const native = await consentPage(t, {
      client_id: 'native-app',
      redirect_uri: 'com.example.app:/callback',
    });
    assert.match(
      native.html,
      /<p class="warn" role="note">Trust tier: <strong>local application<\/strong>\. This application runs on your own device; any program there could be asking\.<\/p>/,
    );
  });

  it('gives a custom consent renderer the tier in the model (ConsentPageModel.tier)', async () => {
    const models: ConsentPageModel[] = [];
    const t = await createTestServer({
      renderConsent: (model) => {
        models.push(model);
        return new Response('<p>asked</p>', { headers: { 'content-type': 'text/html' } });
      },
    });
    const ua = t.userAgent();
    const login = await ua.navigate(t.authorizationUrl(), atClient);
    assert.ok(isPage(login));
    await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
    assert.deepEqual(models[0]?.tier, {
      name: 'trusted',
      statement: "This application was registered or approved by this server's administrator.",
    });
  });
});

describe('trust tiers: rules', () => {
  it('a rule of the configuration file places a client in another tier, and its policy applies', async () => {
    const t = await createTestServer({
      governance: {
        tiers: { selfAsserted: { scopes: ['mcp:tools'] } },
        rules: [{ selector: 'public-app', tier: 'self-asserted' }],
      },
    });
    assert.equal(await tierOnPage(t), 'self-asserted');
    const response = await t.send(t.authorizationUrl({ scope: 'mcp:admin' }));
    await assertRefusal(t, response, { status: 303, error: 'invalid_scope', reason: 'scope_not_allowed' });
  });

  it('a stored rule on the exact client_id moves it from the next request on (kind:dcr placed as trusted too)', async () => {
    const t = await createTestServer({ governance: { rules: [{ selector: 'kind:dcr', tier: 'trusted' }] } });
    assert.equal(await tierOnPage(t, { client_id: await register(t, [APP_REDIRECT]) }), 'trusted');
    await placeInTier(t, 'public-app', 'local');
    assert.equal(await tierOnPage(t), 'local application');
  });
});

describe('trust tiers: the cost of a lookup', () => {
  it('reads the decision admission made on the same record; another record is decided once', async () => {
    const t = await createTestServer();
    const ctx = contextOf(t.server);
    const decisions = async () => {
      const metric = await t.server.metrics.getSingleMetric('gatehouse_governance_decisions_total')?.get();
      return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
    };
    const client = (await t.store.clients.get('public-app'))!;
    const first = await decisionOf(ctx, client);
    assert.equal((await tierPolicyOf(ctx, client)).tier, 'trusted');
    assert.equal(await decisionOf(ctx, client), first, 'the same decision object');
    assert.equal(await decisions(), 1, 'decided once for the record under this snapshot');
    await ctx.governance.reload();
    await decisionOf(ctx, client);
    assert.equal(await decisions(), 2, 'a new snapshot decides again');
  });
});
