/**
 * Issue #13: admission enforced at every endpoint. Approval mode shows the user the waiting page and
 * records the access request; a block refuses a document client before any fetch, its refresh token
 * at the token endpoint, its tokens at introspection (`active: false`), and a registration whose
 * software or redirect host it names; allowlist admits only what a rule approves; report-only
 * changes no outcome and audits what would have happened. (The operator operations that write these
 * rules, and revoke on a block, are tested in governance-admin-*.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import type { AuthorizationServerOptions } from '../src/options.ts';
import type { StoredRule } from '../src/store/store.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, basic, createTestServer, ISSUER, PASSWORD, SECRET } from './support/test-server.ts';

async function setup(overrides: Partial<AuthorizationServerOptions> = {}) {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument());
  const t = await createTestServer({ outboundFetch: documents.fetch, ...overrides });
  /** Stores a rule as the CLI or admin API would, and applies it here at once. */
  const rule = async (selector: string, fields: Partial<StoredRule>) => {
    await t.store.governance.putRule({
      selector,
      updatedBy: 'cli:test',
      createdAt: t.now(),
      updatedAt: t.now(),
      ...fields,
    });
    await contextOf(t.server).governance.reload();
  };
  /** Logs alice in for `clientId` and returns the page or redirect that follows. */
  const signIn = async (clientId: string) => {
    const ua = t.userAgent();
    const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);
    let step = await ua.navigate(t.authorizationUrl({ client_id: clientId }), atClient);
    if (isPage(step) && step.html.includes('name="password"'))
      step = await ua.submit(step, { username: 'alice', password: PASSWORD }, atClient);
    return step;
  };
  return { t, documents, rule, signIn };
}

describe('governance: approval mode', () => {
  it('shows the waiting page, issues no code, and records the access request with the user', async () => {
    const { t, signIn } = await setup({ governance: { mode: 'approval' } });
    const step = await signIn(CIMD_URL);
    assert.ok(isPage(step));
    assert.equal(step.status, 403);
    assert.match(step.html, /awaits approval/);
    assert.match(step.html, /Example CIMD client/);
    assert.doesNotMatch(step.html, /name="decision"/, 'no consent form');
    await signIn(CIMD_URL);
    const [request] = await t.store.governance.listAccessRequests();
    assert.equal(request?.clientId, CIMD_URL);
    assert.equal(request?.userId, 'user-alice');
    assert.equal(request?.attempts, 2);
    assert.equal(request?.clientName, 'Example CIMD client');
    assert.equal((await t.store.audit.list({ type: 'governance.access_requested' })).length, 2);
  });

  it('lets the same client through once a rule approves it', async () => {
    const { t, rule } = await setup({ governance: { mode: 'approval' } });
    await rule(CIMD_URL, { state: 'approved' });
    const tokens = await t.tokensFor({ client_id: CIMD_URL });
    assert.ok(tokens.access_token);
  });

  it('a pattern approves every client_id it matches and nothing else', async () => {
    const { t, rule, signIn } = await setup({ governance: { mode: 'approval' } });
    await rule('https://client.example.test/oauth/*', { state: 'approved' });
    assert.ok((await t.tokensFor({ client_id: CIMD_URL })).access_token);
    await rule('https://client.example.test/oauth/*', { state: 'pending' });
    const step = await signIn(CIMD_URL);
    assert.ok(isPage(step) && step.status === 403);
  });

  it('prompt=none answers access_denied at the verified redirect_uri', async () => {
    const { t, rule } = await setup({ governance: { mode: 'approval' } });
    await rule('public-app', { state: 'approved' });
    const ua = t.userAgent();
    await t.authorize({}, ua); // a session for alice
    await rule('public-app', { state: 'pending' });
    const step = await ua.navigate(t.authorizationUrl({ prompt: 'none' }), (l) => l.startsWith(APP_REDIRECT));
    assert.ok(!isPage(step));
    const callback = new URL(step.redirectedTo);
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(t.lastOutcome()?.reason, 'client_pending');
  });

  it('a client put back to pending gets no token: its refresh token is refused (client_pending)', async () => {
    const { t } = await setup();
    const tokens = await t.tokensFor();
    await t.store.governance.hold({
      clientId: 'public-app',
      reason: 'redirect added on a foreign host',
      at: t.now(),
    });
    await contextOf(t.server).governance.reload();
    const response = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: 'public-app',
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'unauthorized_client');
    assert.equal(t.lastOutcome()?.reason, 'client_pending');
  });
});

describe('governance: blocks', () => {
  it('a domain: block refuses a document client before any fetch (no request reaches its host)', async () => {
    const { t, documents, rule } = await setup();
    await rule('domain:example.test', { state: 'blocked' });
    const response = await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    assert.equal(response.status, 400);
    assert.match(await response.text(), /blocked/);
    assert.equal(t.lastOutcome()?.reason, 'client_blocked');
    const par = await t.post('/par', t.authorizationParams({ client_id: CIMD_URL }));
    assert.equal(par.status, 401);
    assert.equal(((await par.json()) as { error: string }).error, 'invalid_client');
    assert.equal(documents.fetches(CIMD_URL), 0);
    const [event] = await t.store.audit.list({ type: 'client.refused' });
    assert.equal(event?.reason, 'client_blocked');
    assert.equal(event?.detail?.stage, 'before_fetch');
  });

  it('the most specific rule wins: an exact approval inside a blocked domain', async () => {
    const { t, rule } = await setup();
    await rule('domain:example.test', { state: 'blocked' });
    await rule(CIMD_URL, { state: 'approved' });
    assert.ok((await t.tokensFor({ client_id: CIMD_URL })).access_token);
  });

  it("a blocked client's refresh token is refused and its tokens are inactive at introspection", async () => {
    const { t, rule } = await setup();
    await t.addResourceServer();
    const tokens = await t.tokensFor();
    await rule('public-app', { state: 'blocked' });
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: 'public-app',
    });
    assert.equal(refresh.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'client_blocked');
    for (const token of [tokens.access_token, tokens.refresh_token!]) {
      const introspection = await t.post('/introspect', { token }, basic('rs', SECRET));
      assert.deepEqual(await introspection.json(), { active: false });
    }
    // A new authorization gets no code: the server's own page, never the client's redirect_uri.
    const authorize = await t.send(t.authorizationUrl());
    assert.equal(authorize.status, 400);
    assert.equal(authorize.headers.get('location'), null);
  });

  it('a block survives restarts: it is stored, and a new server on the store enforces it', async () => {
    const { t, rule } = await setup();
    await rule('public-app', { state: 'blocked' });
    const { createAuthorizationServer } = await import('../src/authorization-server.ts');
    const again = createAuthorizationServer({ issuer: ISSUER, store: t.store });
    const response = await again.fetch(new Request(t.authorizationUrl()));
    assert.equal(response.status, 400);
    assert.match(await response.text(), /blocked/);
  });

  it('registration: a blocked software_id or redirect host refuses the POST and stores nothing', async () => {
    const { t, rule } = await setup({ registration: { enabled: true } });
    await rule('software:bad-agent', { state: 'blocked' });
    await rule('redirect-host:evil.example', { state: 'blocked' });
    const before = (await t.store.clients.list()).length;
    for (const body of [
      { redirect_uris: [APP_REDIRECT], software_id: 'bad-agent', token_endpoint_auth_method: 'none' },
      { redirect_uris: ['https://evil.example/cb'], token_endpoint_auth_method: 'none' },
    ]) {
      const response = await t.register(body);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client_metadata');
      assert.equal(t.lastOutcome()?.reason, 'client_blocked');
    }
    assert.equal((await t.store.clients.list()).length, before);
  });

  it('RFC 7592: a blocked registration manages nothing', async () => {
    const { t, rule } = await setup({ registration: { enabled: true } });
    const registered = (await (
      await t.register({ redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'none' })
    ).json()) as { client_id: string; registration_client_uri: string; registration_access_token: string };
    await rule(registered.client_id, { state: 'blocked' });
    const response = await t.manage(
      registered.registration_client_uri,
      'GET',
      registered.registration_access_token,
    );
    assert.equal(response.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'client_blocked');
  });
});

describe('governance: allowlist and report-only', () => {
  it('allowlist: a document client no rule approves is refused before fetch (client_not_admitted)', async () => {
    const { t, documents, rule } = await setup({ governance: { mode: 'allowlist' } });
    const response = await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    assert.equal(response.status, 400);
    assert.equal(t.lastOutcome()?.reason, 'client_not_admitted');
    assert.equal(documents.fetches(CIMD_URL), 0);
    await rule('kind:static', { state: 'approved' });
    assert.ok((await t.tokensFor()).access_token, 'approved by kind:static');
  });

  it('allowlist: a redirect-host: approval is decided on the fetched document', async () => {
    const { t, rule } = await setup({ governance: { mode: 'allowlist' } });
    await rule('redirect-host:app.example.test', { state: 'approved' });
    assert.ok((await t.tokensFor({ client_id: CIMD_URL })).access_token);
  });

  it('report-only changes no outcome and audits what would have happened', async () => {
    const { t, rule } = await setup({ governance: { mode: 'report-only' } });
    await rule('domain:example.test', { state: 'blocked' });
    assert.ok((await t.tokensFor({ client_id: CIMD_URL })).access_token, 'blocked, yet served');
    assert.ok((await t.tokensFor()).access_token, 'pending, yet served');
    const events = await t.store.audit.list({ type: 'governance.would_refuse' });
    const reasons = new Set(events.map((event) => event.reason));
    assert.ok(reasons.has('client_blocked'));
    assert.ok(reasons.has('client_pending'));
    assert.equal((await t.store.audit.list({ type: 'client.refused' })).length, 0);
  });

  it('decisions are counted in the metrics by state, tier and enforcement', async () => {
    const { t, rule } = await setup();
    await rule('public-app', { state: 'approved', tier: 'trusted' });
    await t.tokensFor();
    const text = await t.server.metrics.metrics();
    assert.match(
      text,
      /gatehouse_governance_decisions_total\{state="approved",tier="trusted",enforced="true"\} \d+/,
    );
  });
});
