/**
 * Server-side step-up (MCP-16, MCP "Scope Challenge Handling"): the MCP server answers 403
 * `insufficient_scope`, the client re-authorizes for the same resource with the union of its old and
 * the challenged scopes, and the authorization server must take that as a wider request of the
 * same installation: consent shows what is new, the new tokens carry the union, and the existing
 * grant is extended rather than replaced. Scopes stay per resource (RFC 8707 §2 with RFC 6749 §3.3)
 * at the authorization endpoint, PAR, the token endpoint and refresh.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { isPage } from '../../../test/support/user-agent.ts';
import { createTestServer, ISSUER, OTHER_RESOURCE, PASSWORD, RESOURCE } from './support/test-server.ts';

const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);

type Server = Awaited<ReturnType<typeof createTestServer>>;

async function redeem(t: Server, callback: URL) {
  const response = await t.token(t.redeemParams(callback));
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as { access_token: string; refresh_token: string; scope: string };
}

function refresh(t: Server, refreshToken: string, extra: Record<string, string> = {}) {
  return t.token({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: 'public-app',
    ...extra,
  });
}

describe('step-up: re-authorization with more scopes (MCP-16)', () => {
  it('asks again for the new scope only, issues the union and extends the one grant of the installation', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const first = await redeem(t, await t.authorize({ scope: 'mcp:tools' }, ua));
    assert.equal(first.scope, 'mcp:tools');
    const [grant] = await t.store.grants.listByUser('user-alice');
    assert.deepEqual(grant?.scope, ['mcp:tools']);

    // The 403 insufficient_scope challenge named mcp:admin; the client asks for the union. The user
    // is still signed in, so the next page is consent, and it says what is new.
    const consent = await ua.navigate(t.authorizationUrl({ scope: 'mcp:tools mcp:admin' }), atClient);
    assert.ok(isPage(consent), 'a wider request is never answered silently');
    assert.match(consent.html, /more than you allowed before/);
    assert.match(consent.html, /<code>mcp:tools<\/code> <span class="muted">\(already allowed\)<\/span>/);
    assert.match(consent.html, /<code>mcp:admin<\/code> <strong>\(new\)<\/strong>/);
    const callback = await ua.submit(consent, {}, atClient, 'allow');
    assert.ok(!isPage(callback));
    const stepped = await redeem(t, new URL(callback.redirectedTo));

    assert.equal(stepped.scope, 'mcp:tools mcp:admin');
    assert.equal(decodeJwt(stepped.access_token).scope, 'mcp:tools mcp:admin');
    assert.equal(decodeJwt(stepped.access_token).aud, RESOURCE);
    const grants = await t.store.grants.listByUser('user-alice');
    assert.equal(grants.length, 1, 'the same installation keeps one grant');
    assert.equal(grants[0]!.id, grant!.id, 'extended, not replaced');
    assert.deepEqual(grants[0]!.scope, ['mcp:tools', 'mcp:admin']);

    // The refreshed token of the new family keeps the union (MCP-17: the session survives refresh).
    const refreshed = await refresh(t, stepped.refresh_token);
    assert.equal(refreshed.status, 200);
    assert.equal(((await refreshed.json()) as { scope: string }).scope, 'mcp:tools mcp:admin');
  });

  it('answers a later request within the widened grant without asking, prompt=none included', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({ scope: 'mcp:tools' }, ua);
    await t.authorize({ scope: 'mcp:tools mcp:admin' }, ua);
    const silent = await ua.navigate(
      t.authorizationUrl({ scope: 'mcp:admin mcp:tools', prompt: 'none' }),
      atClient,
    );
    assert.ok(!isPage(silent));
    assert.ok(new URL(silent.redirectedTo).searchParams.has('code'));
  });

  it('answers a wider request with prompt=none by consent_required, keeping the grant as it was', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({ scope: 'mcp:tools' }, ua);
    const silent = await ua.navigate(
      t.authorizationUrl({ scope: 'mcp:tools mcp:admin', prompt: 'none' }),
      atClient,
    );
    assert.ok(!isPage(silent));
    assert.equal(new URL(silent.redirectedTo).searchParams.get('error'), 'consent_required');
    const [grant] = await t.store.grants.listByUser('user-alice');
    assert.deepEqual(grant?.scope, ['mcp:tools']);
  });

  it('keeps the grant unchanged when the user denies the step-up, and the old session keeps working', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const first = await redeem(t, await t.authorize({ scope: 'mcp:tools' }, ua));
    const consent = await ua.navigate(t.authorizationUrl({ scope: 'mcp:tools mcp:admin' }), atClient);
    assert.ok(isPage(consent));
    const denied = await ua.submit(consent, {}, atClient, 'deny');
    assert.ok(!isPage(denied));
    assert.equal(new URL(denied.redirectedTo).searchParams.get('error'), 'access_denied');
    const [grant] = await t.store.grants.listByUser('user-alice');
    assert.deepEqual(grant?.scope, ['mcp:tools']);
    assert.equal((await refresh(t, first.refresh_token)).status, 200);
  });

  it('never widens by refresh: the old family cannot ask for the new scope (RFC 6749 §6)', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const first = await redeem(t, await t.authorize({ scope: 'mcp:tools' }, ua));
    await t.authorize({ scope: 'mcp:tools mcp:admin' }, ua);
    const widened = await refresh(t, first.refresh_token, { scope: 'mcp:tools mcp:admin' });
    assert.equal(widened.status, 400);
    assert.deepEqual(await widened.json(), {
      error: 'invalid_scope',
      error_description: 'scope exceeds what was granted',
    });
    const plain = await refresh(t, first.refresh_token);
    assert.equal(((await plain.json()) as { scope: string }).scope, 'mcp:tools');
  });

  it('accepts a challenge-only re-authorization too: the token has what was asked, the grant the union', async () => {
    // SDK v1 replaces its scope with the challenge's instead of adding to it.
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({ scope: 'mcp:tools' }, ua);
    const stepped = await redeem(t, await t.authorize({ scope: 'mcp:admin' }, ua));
    assert.equal(stepped.scope, 'mcp:admin');
    const [grant] = await t.store.grants.listByUser('user-alice');
    assert.deepEqual(grant?.scope, ['mcp:tools', 'mcp:admin']);
  });

  it('asks again when the step-up comes through PAR, and issues the union', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    await t.authorize({ scope: 'mcp:tools' }, ua);
    const pushed = await t.post('/par', t.authorizationParams({ scope: 'mcp:tools mcp:admin' }));
    assert.equal(pushed.status, 201);
    const { request_uri } = (await pushed.json()) as { request_uri: string };
    const consent = await ua.navigate(
      `${ISSUER}/authorize?${new URLSearchParams({ client_id: 'public-app', request_uri })}`,
      atClient,
    );
    assert.ok(isPage(consent));
    assert.match(consent.html, /<code>mcp:admin<\/code> <strong>\(new\)<\/strong>/);
    const callback = await ua.submit(consent, {}, atClient, 'allow');
    assert.ok(!isPage(callback));
    assert.equal((await redeem(t, new URL(callback.redirectedTo))).scope, 'mcp:tools mcp:admin');
  });
});

describe('scopes are per resource', () => {
  const foreign = {
    error: 'invalid_scope',
    error_description: 'scope not allowed for this client and resource: api:read',
  };

  it('refuses at the authorization endpoint a scope the requested resource does not offer', async () => {
    const t = await createTestServer();
    const response = await t.send(t.authorizationUrl({ scope: 'mcp:tools api:read' }), {
      redirect: 'manual',
    });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), foreign.error);
    assert.equal(location.searchParams.get('error_description'), foreign.error_description);
  });

  it('refuses the same at PAR', async () => {
    const t = await createTestServer();
    const response = await t.post('/par', t.authorizationParams({ scope: 'api:read' }));
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), foreign);
  });

  it('refuses a scope no resource offers, even one a challenge named (the AS knows every scope)', async () => {
    const t = await createTestServer();
    const response = await t.send(t.authorizationUrl({ scope: 'mcp:tools notes:write' }), {
      redirect: 'manual',
    });
    assert.equal(new URL(response.headers.get('location')!).searchParams.get('error'), 'invalid_scope');
  });

  it('gives each audience only its own scopes at the token endpoint and at refresh', async () => {
    const t = await createTestServer();
    const url = new URL(t.authorizationUrl({ scope: 'mcp:tools api:read' }));
    url.searchParams.append('resource', OTHER_RESOURCE);
    const callback = await (async () => {
      const ua = t.userAgent();
      const login = await ua.navigate(url.href, atClient);
      assert.ok(isPage(login));
      const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
      assert.ok(isPage(consent));
      const done = await ua.submit(consent, {}, atClient, 'allow');
      assert.ok(!isPage(done));
      return new URL(done.redirectedTo);
    })();
    const response = await t.token({ ...t.redeemParams(callback), resource: RESOURCE });
    const tokens = (await response.json()) as { access_token: string; refresh_token: string; scope: string };
    assert.equal(tokens.scope, 'mcp:tools');
    assert.equal(decodeJwt(tokens.access_token).aud, RESOURCE);

    const other = await refresh(t, tokens.refresh_token, { resource: OTHER_RESOURCE });
    const otherTokens = (await other.json()) as {
      access_token: string;
      refresh_token: string;
      scope: string;
    };
    assert.equal(otherTokens.scope, 'api:read');
    assert.equal(decodeJwt(otherTokens.access_token).aud, OTHER_RESOURCE);

    // Asking for another resource's granted scope by name is refused, not quietly issued.
    const crossed = await refresh(t, otherTokens.refresh_token, { resource: RESOURCE, scope: 'api:read' });
    assert.equal(crossed.status, 400);
    assert.deepEqual(await crossed.json(), {
      error: 'invalid_scope',
      error_description: 'scope not offered by the requested resource: api:read',
    });
    assert.equal(t.lastOutcome()?.reason, 'scope_not_for_resource');
  });
});
