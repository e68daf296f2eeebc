/**
 * Trust tiers (issue #13 item 4, `governance.tiers`, docs/governance.md "Trust tiers"): the tier a
 * client gets by default and by a rule, and each knob of a tier's policy where it applies: the
 * scope ceiling and resources at the authorization endpoint, PAR and the token endpoint, token
 * lifetimes, refresh, DPoP, consent remembered or asked every time, and the tier stated on the
 * consent page. Evaluated on every request: a rule moving a client reaches its existing sessions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrustTier } from '@gatehouse-oauth/core';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { isPage, type Page } from '../../../test/support/user-agent.ts';
import { digest } from '../src/crypto/digest.ts';
import { decisionOf, tierPolicyOf } from '../src/governance/tier-policy.ts';
import { type AuthorizationServerOptions, createAuthorizationServer } from '../src/index.ts';
import type { ConsentPageModel } from '../src/pages/consent-page.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { assertRefusal } from './support/refusal.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import {
  APP_REDIRECT,
  createTestServer,
  ISSUER,
  LOOPBACK_REDIRECT,
  OTHER_RESOURCE,
  PASSWORD,
  RESOURCE,
} from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;
type Tokens = { access_token: string; refresh_token?: string; scope: string; expires_in: number };

const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);
const DAY = 86_400_000;

/** A test server whose CIMD fetches answer CIMD_URL with the example document plus `document`. */
async function withDocuments(
  overrides: Partial<AuthorizationServerOptions>,
  document: Record<string, unknown>,
) {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument(document));
  return createTestServer({ outboundFetch: documents.fetch, ...overrides });
}

/** Signs in as alice in a new browser and answers the consent page the request leads to. */
async function consentPage(t: TestServer, params: Record<string, string | undefined> = {}): Promise<Page> {
  const ua = t.userAgent();
  const login = await ua.navigate(t.authorizationUrl(params), atClient);
  assert.ok(isPage(login), 'the login page');
  const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
  assert.ok(isPage(consent) && consent.html.includes('name="decision"'), 'the consent page');
  return consent;
}

async function tierOnPage(t: TestServer, params: Record<string, string | undefined> = {}) {
  return /Trust tier: <strong>([^<]+)<\/strong>/.exec((await consentPage(t, params)).html)?.[1];
}

/** Places the clients `selector` selects in `tier` through a stored rule, as the CLI would. */
async function placeInTier(t: TestServer, selector: string, tier: TrustTier): Promise<void> {
  const at = t.now();
  await t.store.governance.putRule({ selector, tier, updatedBy: 'cli:test', createdAt: at, updatedAt: at });
  await contextOf(t.server).governance.reload();
}

function refresh(t: TestServer, refreshToken: string, extra: Record<string, string> = {}) {
  return t.token({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: 'public-app',
    ...extra,
  });
}

async function register(t: TestServer, redirectUris: string[]): Promise<string> {
  const response = await t.register({
    redirect_uris: redirectUris,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { client_id: string }).client_id;
}

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

describe('trust tiers: token lifetimes', () => {
  it('sets the access token, refresh token and session lifetimes where the tier sets them', async () => {
    const t = await createTestServer({
      governance: {
        tiers: { trusted: { accessTokenSeconds: 120, refreshTokenSeconds: 3600, tokenFamilySeconds: 7200 } },
      },
    });
    const issuedAt = t.now();
    const tokens = await t.tokensFor();
    assert.equal(tokens.expires_in, 120);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.exp! - claims.iat!, 120);
    const stored = await t.store.refreshTokens.get(digest(tokens.refresh_token!));
    assert.equal(stored?.expiresAt, issuedAt + 3600_000);
    const family = await t.store.tokenFamilies.get(String(claims.jti).split('.')[0]!);
    assert.equal(family?.expiresAt, issuedAt + 7200_000);
    // Each refresh token lives the tier's hour, never past the session's two.
    t.advance(3000_000);
    const next = (await (await refresh(t, tokens.refresh_token!)).json()) as Tokens;
    assert.equal(next.expires_in, 120);
    const nextExpiry = (await t.store.refreshTokens.get(digest(next.refresh_token!)))?.expiresAt;
    assert.equal(nextExpiry, issuedAt + 6600_000);
    t.advance(3000_000);
    const last = (await (await refresh(t, next.refresh_token!)).json()) as Tokens;
    const lastExpiry = (await t.store.refreshTokens.get(digest(last.refresh_token!)))?.expiresAt;
    assert.equal(lastExpiry, issuedAt + 7200_000);
  });

  it('local keeps logins short by default: a day per refresh token, a week per session', async () => {
    const t = await createTestServer();
    await t.addClient({
      client_id: 'cli-app',
      redirect_uris: [LOOPBACK_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const issuedAt = t.now();
    const params = { client_id: 'cli-app', redirect_uri: LOOPBACK_REDIRECT };
    const tokens = await t.tokensFor(params);
    assert.equal((await t.store.refreshTokens.get(digest(tokens.refresh_token!)))?.expiresAt, issuedAt + DAY);
    const familyId = String(decodeJwt(tokens.access_token).jti).split('.')[0]!;
    assert.equal((await t.store.tokenFamilies.get(familyId))?.expiresAt, issuedAt + 7 * DAY);
  });

  it('a tier’s session lifetime also ends the sessions begun before the client was placed in it', async () => {
    const t = await createTestServer({
      governance: { tiers: { selfAsserted: { tokenFamilySeconds: 3600 } } },
    });
    const tokens = await t.tokensFor();
    t.advance(2 * 3600_000);
    await placeInTier(t, 'public-app', 'self-asserted');
    const response = await refresh(t, tokens.refresh_token!);
    await assertRefusal(t, response, {
      status: 400,
      error: 'invalid_grant',
      reason: 'refresh_token_expired',
    });
  });
});

describe('trust tiers under the atproto profile', () => {
  it('refuses tier lifetimes beyond AT-10, which replace the profile’s for the tier’s clients', () => {
    const base = {
      issuer: ISSUER,
      store: createMemoryStore(),
      resources: [{ uri: 'https://pds.example.test', scopes: [] }],
      profile: 'atproto' as const,
    };
    assert.throws(
      () =>
        createAuthorizationServer({
          ...base,
          governance: { tiers: { trusted: { accessTokenSeconds: 3600 } } },
        }),
      /governance\.tiers\.trusted\.accessTokenSeconds must be under 30 minutes \(AT-10\)/,
    );
    assert.throws(
      () =>
        createAuthorizationServer({
          ...base,
          governance: { tiers: { selfAsserted: { refreshTokenSeconds: 30 * 86_400 } } },
        }),
      /governance\.tiers\.selfAsserted: refresh tokens and sessions of at most 2 weeks \(AT-10\)/,
    );
    // The defaults (local: a day, a week) are within.
    assert.ok(createAuthorizationServer(base));
  });
});

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

describe('trust tiers: DPoP (RFC 9449)', () => {
  it('dpop: required refuses token requests without a proof, with a nonce, and leaves the code usable', async () => {
    const t = await createTestServer({ governance: { tiers: { trusted: { dpop: 'required' } } } });
    const callback = await t.authorize();
    const refused = await t.token(t.redeemParams(callback));
    const nonce = refused.headers.get('dpop-nonce');
    const { body } = await assertRefusal(t, refused, {
      status: 400,
      error: 'invalid_dpop_proof',
      reason: 'dpop_required_by_tier',
    });
    assert.match(String(body?.error_description), /trusted tier must send a DPoP proof/);
    assert.ok(nonce, 'the retry needs no use_dpop_nonce round trip (RFC 9449 §8)');

    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const proof = await new SignJWT({
      htm: 'POST',
      htu: `${ISSUER}/token`,
      iat: Math.floor(t.now() / 1000),
      jti: crypto.randomUUID(),
      nonce,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(pair.privateKey);
    const bound = await t.token(t.redeemParams(callback), { dpop: proof });
    assert.equal(bound.status, 200, await bound.clone().text());
    const tokens = (await bound.json()) as { token_type: string; access_token: string };
    assert.equal(tokens.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await calculateJwkThumbprint(jwk) });
  });
});

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
