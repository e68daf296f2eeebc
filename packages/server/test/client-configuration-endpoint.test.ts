/** RFC 7592 client configuration endpoint (DCR-MG-1…8). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digest } from '../src/crypto/digest.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './support/test-server.ts';

type Json = Record<string, unknown>;
const publicClient = {
  redirect_uris: [APP_REDIRECT],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  client_name: 'Managed client',
  logo_uri: 'https://app.example.test/logo.png',
};

async function registered(overrides: Parameters<typeof createTestServer>[0] = {}, body: Json = publicClient) {
  const t = await createTestServer(overrides);
  const info = (await (await t.register(body)).json()) as Json;
  return {
    t,
    info,
    uri: info.registration_client_uri as string,
    token: info.registration_access_token as string,
    clientId: info.client_id as string,
  };
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

describe('client configuration endpoint (RFC 7592)', () => {
  it('GET returns the full client information, the same shape as registration (DCR-MG-4)', async () => {
    const { t, info, uri, token } = await registered();
    const response = await t.manage(uri, 'GET', token);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await response.json(), info);
  });

  it('GET rotates the registration access token when configured on_read', async () => {
    const { t, uri, token } = await registered({
      registration: { rotateRegistrationAccessToken: 'on_read' },
    });
    const read = (await (await t.manage(uri, 'GET', token)).json()) as Json;
    assert.notEqual(read.registration_access_token, token);
    assert.equal((await t.manage(uri, 'GET', token)).status, 401);
    assert.equal((await t.manage(uri, 'GET', read.registration_access_token as string)).status, 200);
  });

  it('refuses missing, wrong and other clients’ tokens, and unknown clients, alike with 401 (DCR-MG-2/3/5)', async () => {
    const { t, uri, token } = await registered();
    const other = (await (await t.register({ ...publicClient, client_name: 'Other' })).json()) as Json;
    const missing = await t.manage(uri, 'GET', undefined);
    assert.equal(missing.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'token_missing');
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    const answers = await Promise.all([
      t.manage(uri, 'GET', 'wrong-token'),
      t.manage(uri, 'GET', other.registration_access_token as string),
      t.manage(`${ISSUER}/register/dcr_unknown`, 'GET', token),
      t.manage(`${ISSUER}/register/public-app`, 'GET', token),
    ]);
    const shapes = await Promise.all(
      answers.map(async (r) => [r.status, r.headers.get('www-authenticate'), await r.text()].join('|')),
    );
    assert.equal(new Set(shapes).size, 1, shapes.join('\n'));
    assert.equal(answers[0]?.status, 401);
    // Alike inside too: all four for the same reason (DCR-MG-5).
    const reasons = t.outcomes().slice(-4);
    assert.deepEqual(
      reasons.map((outcome) => [outcome.error, outcome.reason]),
      Array(4).fill(['invalid_token', 'registration_access_token_invalid']),
    );
  });

  it('answers unsupported methods with 405 and Allow (DCR-MG-3)', async () => {
    const { t, uri, token } = await registered();
    const response = await t.manage(uri, 'POST', token, {});
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, PUT, DELETE');
  });

  it('PUT replaces, never merges: omitted fields are deleted (DCR-MG-6)', async () => {
    const { t, uri, token, clientId } = await registered();
    const response = await t.manage(uri, 'PUT', token, {
      client_id: clientId,
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      client_name: 'Renamed',
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Json;
    assert.equal(body.client_id, clientId);
    assert.equal(body.client_name, 'Renamed');
    assert.deepEqual(body.redirect_uris, ['http://127.0.0.1/callback']);
    assert.equal('logo_uri' in body, false);
    // grant_types was omitted: back to the RFC 7591 default, not the old value.
    assert.deepEqual(body.grant_types, ['authorization_code']);
    const stored = await t.store.clients.get(clientId);
    assert.equal(stored?.metadata.logo_uri, undefined);
    // Rotated on update by default; the old token is dead.
    assert.notEqual(body.registration_access_token, token);
    assert.equal((await t.manage(uri, 'GET', token)).status, 401);
    assert.equal((await t.store.audit.list({ type: 'client.updated' })).length, 1);
  });

  it('PUT refuses forbidden members, a different or missing client_id, and a wrong secret', async () => {
    const { t, uri, token, clientId, info } = await registered({}, { redirect_uris: [APP_REDIRECT] });
    const base = { client_id: clientId, redirect_uris: [APP_REDIRECT] };
    // RFC 7592 §2.2, each for its own reason.
    const refusals: { extra: Json; reason: string }[] = [
      { extra: { registration_access_token: token }, reason: 'update_forbidden_member' },
      { extra: { registration_client_uri: uri }, reason: 'update_forbidden_member' },
      { extra: { client_secret_expires_at: 0 }, reason: 'update_forbidden_member' },
      { extra: { client_id_issued_at: 1 }, reason: 'update_forbidden_member' },
      { extra: { client_id: 'dcr_other' }, reason: 'client_id_mismatch' },
      { extra: { client_id: undefined }, reason: 'client_id_mismatch' },
      { extra: { client_secret: 'not-the-secret' }, reason: 'client_secret_mismatch' },
    ];
    for (const { extra, reason } of refusals) {
      const response = await t.manage(uri, 'PUT', token, { ...base, ...extra });
      assert.equal(response.status, 400, JSON.stringify(extra));
      assert.equal(await errorOf(response), 'invalid_client_metadata');
      assert.equal(t.lastOutcome()?.reason, reason, JSON.stringify(extra));
    }
    const ok = await t.manage(uri, 'PUT', token, {
      ...base,
      client_secret: info.client_secret,
      client_name: 'Same secret',
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Json;
    // The secret is unchanged and, being kept only as a digest, not repeated.
    assert.equal('client_secret' in body, false);
    assert.equal(body.client_secret_expires_at, 0);
  });

  it('PUT validates like registration (invalid_redirect_uri)', async () => {
    const { t, uri, token, clientId } = await registered();
    const response = await t.manage(uri, 'PUT', token, {
      client_id: clientId,
      redirect_uris: ['http://evil.example/cb'],
    });
    assert.equal(response.status, 400);
    assert.equal(await errorOf(response), 'invalid_redirect_uri');
    assert.equal(t.lastOutcome()?.reason, 'redirect_uri_http_not_loopback');
  });

  it('DELETE answers 204, removes the client and revokes every grant and token (DCR-MG-7)', async () => {
    const { t, uri, token, clientId } = await registered();
    const tokens = await t.tokensFor({ client_id: clientId });
    assert.ok(tokens.refresh_token);
    const response = await t.manage(uri, 'DELETE', token);
    assert.equal(response.status, 204);
    assert.equal(await t.store.clients.get(clientId), undefined);
    // The loops must have something to check: the one grant and the one family of tokensFor().
    const grants = await t.store.grants.listByClient(clientId);
    const families = await t.store.tokenFamilies.listByClient(clientId);
    assert.equal(grants.length, 1, 'the grant is kept, revoked');
    assert.equal(families.length, 1, 'the token family is kept, revoked');
    for (const grant of grants) assert.notEqual(grant.revokedAt, undefined);
    for (const family of families) assert.equal(family.revokedReason, 'client_deleted');
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: clientId,
    });
    assert.equal(refresh.status >= 400, true);
    // DCR-MG-8: later calls with the old token get 401.
    assert.equal((await t.manage(uri, 'GET', token)).status, 401);
    // One lifecycle event, saying who removed it and why.
    const [removed, ...more] = await t.store.audit.list({ type: 'client.removed' });
    assert.equal(more.length, 0);
    assert.equal(removed?.actor, `client:${clientId}`);
    assert.equal(removed?.reason, 'client_request');
  });

  it('refuses an update body nested too deep with 400 body_too_deep, never a 500 (issue #18)', async () => {
    const { t, uri, token, clientId } = await registered();
    const response = await t.send(uri, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: `{"client_id":"${clientId}","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    });
    assert.equal(response.status, 400);
    assert.equal(await errorOf(response), 'invalid_client_metadata');
    assert.equal(t.lastOutcome()?.reason, 'body_too_deep');
  });

  it('manages a recognised registration per installation: PUT and DELETE answer its registrant (decision 0046)', async () => {
    // Before decision 0046 this was a 403 shared_registration; a recognised registrant now holds
    // an installation registration of its own (registration-installations.test.ts has the rest).
    const native = { ...publicClient, software_id: 'shared-app' };
    const { t, uri, token, clientId } = await registered({}, native);
    const updated = await t.manage(uri, 'PUT', token, { client_id: clientId, ...native });
    assert.equal(updated.status, 200);
    const next = ((await updated.json()) as Json).registration_access_token as string;
    assert.equal((await t.manage(uri, 'DELETE', next)).status, 204);
  });

  it('rate-limits failed attempts per source, even for the right token afterwards (DCR-MG-8)', async () => {
    const { t, uri, token } = await registered({
      registration: { rateLimits: { managementFailures: { limit: 3, windowSeconds: 60 } } },
    });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.manage(uri, 'GET', `guess-${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const blocked = await t.manage(uri, 'GET', token);
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    t.advance(60_000);
    assert.equal((await t.manage(uri, 'GET', token)).status, 200);
  });

  it('a stranger cannot lock the owner out: the limit is per source, an IPv6 /64 one source (issue #18)', async () => {
    const { t, uri, token, clientId } = await registered({
      registration: { rateLimits: { managementFailures: { limit: 3, windowSeconds: 60 } } },
    });
    const stranger = { remoteAddress: '2001:db8:bad:1::1' };
    const statuses = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await t.manage(uri, 'GET', `guess-${i}`, undefined, stranger)).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, ...new Array<number>(8).fill(429)]);
    // Another address in the stranger's /64 is the same source, so rotating addresses gains nothing.
    const sameNet = { remoteAddress: '2001:db8:bad:1:ffff::2' };
    assert.equal((await t.manage(uri, 'GET', 'guess-x', undefined, sameNet)).status, 429);
    // The owner, from its own address, still manages its registration with its token.
    const owner = { remoteAddress: '198.51.100.20' };
    assert.equal((await t.manage(uri, 'GET', token, undefined, owner)).status, 200);
    // The refusals name the client they were aimed at and the /64 they came from.
    const events = await t.store.audit.list({ type: 'client.management_rate_limited' });
    assert.deepEqual(events.map((e) => `${String(e.detail?.key_kind)}:${String(e.detail?.key)}`).sort(), [
      `client_source:${clientId} 2001:db8:bad:1::/64`,
      'ip:2001:db8:bad:1::/64',
    ]);
    assert.ok(events.every((e) => e.clientId === clientId || e.detail?.key_kind === 'ip'));
  });

  it('audits management refusals once per key and window (issue #4)', async () => {
    const { t, uri, clientId } = await registered({
      registration: { rateLimits: { managementFailures: { limit: 3, windowSeconds: 60 } } },
    });
    for (let i = 0; i < 50; i++) await t.manage(uri, 'GET', `guess-${i}`);
    const events = await t.store.audit.list({ type: 'client.management_rate_limited' });
    // The (client, source) key and the source key, each once, though 47 attempts were refused.
    assert.deepEqual(events.map((e) => e.detail?.key_kind).sort(), ['client_source', 'ip']);
    const client = events.find((e) => e.detail?.key_kind === 'client_source');
    assert.equal(client?.clientId, clientId);
    assert.equal(client?.detail?.remote_address, '192.0.2.1');
    t.advance(60_000);
    for (let i = 0; i < 4; i++) await t.manage(uri, 'GET', `again-${i}`);
    assert.equal((await t.store.audit.list({ type: 'client.management_rate_limited' })).length, 4);
  });
});

describe('updates of a registration made with a scope-limited initial access token', () => {
  async function limited() {
    const t = await createTestServer({ registration: { policy: 'initial_access_token' } });
    await t.store.initialAccessTokens.create({
      id: 'iat-scoped',
      digest: digest('scoped-token'),
      createdAt: t.now(),
      uses: 0,
      scope: 'mcp:tools api:read',
    });
    const info = (await (
      await t.register({ ...publicClient, scope: 'mcp:tools' }, { authorization: 'Bearer scoped-token' })
    ).json()) as Json;
    return {
      t,
      info,
      uri: info.registration_client_uri as string,
      token: info.registration_access_token as string,
    };
  }
  const replacement = (info: Json, extra: Json) => ({ client_id: info.client_id, ...publicClient, ...extra });

  it('PUT may not widen the scope beyond the token limit', async () => {
    const { t, info, uri, token } = await limited();
    const wider = await t.manage(uri, 'PUT', token, replacement(info, { scope: 'mcp:tools mcp:admin' }));
    assert.equal(wider.status, 400);
    assert.equal(await errorOf(wider), 'invalid_client_metadata');
    assert.equal((await t.store.clients.get(info.client_id as string))?.metadata.scope, 'mcp:tools');
  });

  it('PUT within the limit is stored; a PUT without scope gets the token scope (replace + default)', async () => {
    const { t, info, uri, token } = await limited();
    const within = await t.manage(uri, 'PUT', token, replacement(info, { scope: 'api:read' }));
    assert.equal(within.status, 200);
    const updated = (await within.json()) as Json;
    assert.equal(updated.scope, 'api:read');
    const omitted = await t.manage(
      uri,
      'PUT',
      updated.registration_access_token as string,
      replacement(info, {}),
    );
    assert.equal(omitted.status, 200);
    assert.equal(((await omitted.json()) as Json).scope, 'mcp:tools api:read');
  });

  it('the limit holds after the token is revoked', async () => {
    const { t, info, uri, token } = await limited();
    await t.store.initialAccessTokens.revoke('iat-scoped', t.now());
    const wider = await t.manage(uri, 'PUT', token, replacement(info, { scope: 'mcp:admin' }));
    assert.equal(wider.status, 400);
  });
});
