/**
 * The admin HTTP API (issue #13, docs/admin-api.md) through `server.fetch` on the memory store:
 * every refusal of a credential with its reason, read and write scopes, each operation's answer
 * (parsed by the schema the OpenAPI document is made of) and a bad input, the audit actor
 * `admin-token:<id>` with before and after, and the request metrics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { digest } from '../src/crypto/digest.ts';
import type { AuditEvent } from '../src/store/store.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

async function adminServer(overrides: Parameters<typeof createTestServer>[0] = {}) {
  const t = await createTestServer(overrides);
  const issue = async (scope: 'read' | 'write', expiresInSeconds?: number) =>
    t.server.admin.tokens.issue({ scope, actor: 'test', ...(expiresInSeconds ? { expiresInSeconds } : {}) });
  const writer = await issue('write');
  const reader = await issue('read');
  /** A call to `/admin/v1<path>`; `token` null: no Authorization header. */
  const call = (
    method: string,
    path: string,
    options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const token = options.token === undefined ? writer.token : options.token;
    const body = options.body;
    return t.send(`${ISSUER}/admin/v1${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  };
  const audited = async (type: string) => (await t.store.audit.list({ type }))[0];
  return { t, issue, writer, reader, call, audited, actor: `admin-token:${writer.issued.id}` };
}

type Operations = typeof ADMIN_OPERATIONS;

/** The JSON of a 200, parsed by the operation's answer schema (what the OpenAPI document says). */
async function answer<Id extends keyof Operations>(
  response: Response,
  operation: Id,
): Promise<z.output<Operations[Id]['answer']>> {
  assert.equal(response.status, 200, await response.clone().text());
  return ADMIN_OPERATIONS[operation].answer.parse(await response.json()) as z.output<
    Operations[Id]['answer']
  >;
}

/** The stored rule an audit event says was there before, or is after. */
function auditedRule(event: AuditEvent | undefined, side: 'before' | 'after') {
  return event?.detail?.[side] as { state?: string; tier?: string } | null | undefined;
}

const invalid = (t: TestServer, response: Response, reason: string, status = 400) =>
  assertRefusal(t, response, { status, error: 'invalid_request', reason });

describe('admin API: credentials', () => {
  it('is never on without a credential: with no token issued, every call is 401', async () => {
    const t = await createTestServer();
    const response = await t.send(`${ISSUER}/admin/v1/rules`, {
      headers: { authorization: 'Bearer gha_nothing-was-ever-issued-here' },
    });
    await assertRefusal(t, response, { status: 401, error: 'invalid_token', reason: 'admin_token_invalid' });
  });

  it('refuses a missing, unknown, expired or revoked token, each with its reason', async () => {
    const { t, issue, call } = await adminServer();
    const missing = await call('GET', '/rules', { token: null });
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="gatehouse-admin"');
    const { body } = await assertRefusal(t, missing, {
      status: 401,
      error: 'invalid_token',
      reason: 'admin_token_missing',
    });
    assert.doesNotMatch(JSON.stringify(body), /\n\s+at /, 'no stack trace');
    const basic = await call('GET', '/rules', { token: null, headers: { authorization: 'Basic YTpi' } });
    await assertRefusal(t, basic, { status: 401, error: 'invalid_token', reason: 'admin_token_missing' });
    for (const token of ['gha_unknown-but-well-formed', 'not-an-admin-token']) {
      const unknown = await call('GET', '/rules', { token });
      assert.match(
        unknown.headers.get('www-authenticate') ?? '',
        /^Bearer realm="gatehouse-admin", error="invalid_token"/,
      );
      await assertRefusal(t, unknown, { status: 401, error: 'invalid_token', reason: 'admin_token_invalid' });
    }
    const shortLived = await issue('read', 60);
    assert.equal((await call('GET', '/rules', { token: shortLived.token })).status, 200);
    t.advance(60_000);
    const expired = await call('GET', '/rules', { token: shortLived.token });
    await assertRefusal(t, expired, { status: 401, error: 'invalid_token', reason: 'admin_token_expired' });
    const revocable = await issue('write');
    assert.equal(await t.server.admin.tokens.revoke(revocable.issued.id, { actor: 'test' }), 'revoked');
    const revoked = await call('GET', '/rules', { token: revocable.token });
    await assertRefusal(t, revoked, { status: 401, error: 'invalid_token', reason: 'admin_token_revoked' });
  });

  it('asks for a token on every operation and below /admin/v1/ whatever the path', async () => {
    const { t, call } = await adminServer();
    for (const operation of Object.values(ADMIN_OPERATIONS)) {
      const path = operation.path.replace('/admin/v1', '').replace(/\{[a-z_]+\}/, 'x');
      const response = await call(operation.method.toUpperCase(), path, { token: null });
      assert.equal(response.status, 401, `${operation.method} ${operation.path}`);
      assert.equal(t.lastOutcome()?.reason, 'admin_token_missing');
    }
    const nowhere = await call('GET', '/no-such-operation', { token: null });
    await assertRefusal(t, nowhere, { status: 401, error: 'invalid_token', reason: 'admin_token_missing' });
    await invalid(t, await call('GET', '/no-such-operation'), 'admin_route_unknown', 404);
  });

  it('lets a read token read and refuses it every write (403 admin_token_scope)', async () => {
    const { t, reader, call } = await adminServer();
    await answer(await call('GET', '/rules', { token: reader.token }), 'listRules');
    await answer(await call('GET', '/access-requests', { token: reader.token }), 'accessRequests');
    for (const operation of Object.values(ADMIN_OPERATIONS).filter((op) => op.scope === 'write')) {
      const path = operation.path.replace('/admin/v1', '').replace(/\{[a-z_]+\}/, 'public-app');
      const response = await call(operation.method.toUpperCase(), path, {
        token: reader.token,
        body: { target: 'public-app', tier: 'trusted' },
      });
      assert.equal(
        response.headers.get('www-authenticate'),
        'Bearer realm="gatehouse-admin", error="insufficient_scope", scope="write"',
      );
      await assertRefusal(t, response, {
        status: 403,
        error: 'insufficient_scope',
        reason: 'admin_token_scope',
      });
    }
    assert.deepEqual(await t.store.governance.listRules(), [], 'nothing was written');
  });
});

describe('admin API: rules', () => {
  it('approves, sets a tier, lists and deletes a rule; each change audited with its actor and before/after', async () => {
    const { t, call, audited, actor } = await adminServer();
    const pattern = 'https://chatgpt.example/oauth/*/client.json';
    const approved = await answer(
      await call('POST', '/approvals', { body: { target: pattern, owner: 'platform team', note: 'vendor' } }),
      'approve',
    );
    assert.equal(approved.selector, pattern);
    assert.equal(approved.before, null);
    assert.equal(approved.after?.state, 'approved');
    assert.equal(approved.after?.updated_by, actor);
    assert.equal(approved.after?.created_at, new Date(t.now()).toISOString());
    const approval = await audited('governance.client_approved');
    assert.equal(approval?.actor, actor);
    assert.equal(auditedRule(approval, 'after')?.state, 'approved');
    assert.equal(auditedRule(approval, 'before'), null);

    const encoded = encodeURIComponent(pattern);
    const tiered = await answer(
      await call('PATCH', `/rules/${encoded}`, { body: { tier: 'trusted' } }),
      'setTier',
    );
    assert.equal(tiered.before?.tier, undefined);
    assert.deepEqual([tiered.after?.state, tiered.after?.tier], ['approved', 'trusted']);
    const change = await audited('governance.rule_changed');
    assert.equal(change?.actor, actor);
    assert.equal(auditedRule(change, 'before')?.state, 'approved');
    assert.equal(auditedRule(change, 'after')?.tier, 'trusted');

    const { rules } = await answer(await call('GET', '/rules'), 'listRules');
    assert.deepEqual(
      rules.map((rule: Record<string, unknown>) => [rule.selector, rule.origin, rule.tier, rule.owner]),
      [[pattern, 'stored', 'trusted', 'platform team']],
    );
    const deleted = await answer(await call('DELETE', `/rules/${encoded}`), 'deleteRule');
    assert.equal(deleted.after, null);
    assert.equal((await audited('governance.rule_deleted'))?.actor, actor);
    await invalid(t, await call('DELETE', `/rules/${encoded}`), 'rule_not_found', 404);
  });

  it('refuses a bad selector, parameter or body with its reason', async () => {
    const { t, call } = await adminServer();
    await invalid(t, await call('POST', '/approvals', { body: { target: 'host:' } }), 'invalid_selector');
    await invalid(t, await call('DELETE', `/rules/${encodeURIComponent('domain:-x-')}`), 'invalid_selector');
    await invalid(
      t,
      await call('PATCH', `/rules/${'a'.repeat(2049)}`, { body: { tier: 'local' } }),
      'parameter_invalid',
    );
    await invalid(
      t,
      await call('POST', '/approvals', { body: { target: 'x', tier: 'gold' } }),
      'body_invalid',
    );
    await invalid(t, await call('POST', '/approvals', { body: { target: 'x', extra: 1 } }), 'body_invalid');
    await invalid(t, await call('POST', '/approvals', { body: [] }), 'body_invalid');
    await invalid(t, await call('POST', '/approvals', { body: '{"target":' }), 'body_not_json');
    const form = await call('POST', '/blocks', {
      body: 'target=x',
      headers: { 'content-type': 'text/plain' },
    });
    await invalid(t, form, 'content_type');
    const large = { target: 'x', reason: 'y'.repeat(20_000) };
    await invalid(t, await call('POST', '/blocks', { body: large }), 'body_too_large', 413);
    await invalid(
      t,
      await call('POST', '/approvals', { body: { target: 'x', note: '\u0007' } }),
      'invalid_rule',
    );
    assert.deepEqual(await t.store.governance.listRules(), []);
  });

  it("blocks a client, revoking what it holds, and unblocks it; a file's block is the file's", async () => {
    const { t, call, audited, actor } = await adminServer({
      governance: { rules: [{ selector: 'host:evil.example', state: 'blocked' }] },
    });
    const tokens = await t.tokensFor();
    const blocked = await answer(
      await call('POST', '/blocks', { body: { target: 'public-app', reason: 'leaked' } }),
      'block',
    );
    assert.deepEqual([blocked.after?.state, blocked.after?.note], ['blocked', 'leaked']);
    assert.equal(blocked.revoked[0]?.client_id, 'public-app');
    assert.ok(blocked.revoked[0]?.grants_revoked >= 1, 'its grant was revoked');
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: 'public-app',
    });
    assert.ok(refresh.status >= 400, 'its refresh token no longer works');
    const event = await audited('governance.client_blocked');
    assert.equal(event?.actor, actor);
    assert.equal(auditedRule(event, 'after')?.state, 'blocked');

    const unblocked = await answer(await call('DELETE', '/blocks/public-app'), 'unblock');
    assert.deepEqual([unblocked.before?.state, unblocked.after], ['blocked', null]);
    assert.equal((await audited('governance.client_unblocked'))?.actor, actor);
    await invalid(t, await call('DELETE', '/blocks/public-app'), 'rule_not_found', 404);
    await invalid(t, await call('DELETE', '/blocks/host%3Aevil.example'), 'rule_in_configuration_file', 409);
    const { rules } = await answer(await call('GET', '/rules'), 'listRules');
    assert.deepEqual(rules, [{ selector: 'host:evil.example', state: 'blocked', origin: 'file' }]);
  });
});

describe('admin API: access requests, holds, decisions and the client lifecycle', () => {
  it('lists access requests and holds, and releases a hold once', async () => {
    const { t, call, audited, actor } = await adminServer();
    const at = t.now();
    await t.store.governance.recordAccessRequest({
      clientId: 'public-app',
      userId: 'user-alice',
      clientName: 'App',
      at,
    });
    await t.store.governance.hold({ clientId: 'public-app', reason: 'redirect hosts changed', at });
    const pending = await answer(await call('GET', '/access-requests'), 'accessRequests');
    const iso = new Date(at).toISOString();
    assert.deepEqual(pending, {
      requests: [
        {
          client_id: 'public-app',
          user_id: 'user-alice',
          client_name: 'App',
          first_at: iso,
          last_at: iso,
          attempts: 1,
        },
      ],
      holds: [{ client_id: 'public-app', reason: 'redirect hosts changed', at: iso }],
    });
    const released = await answer(await call('POST', '/holds/public-app/release'), 'releaseHold');
    assert.deepEqual(released, { client_id: 'public-app', released: true });
    assert.equal((await audited('governance.hold_released'))?.actor, actor);
    await invalid(t, await call('POST', '/holds/public-app/release'), 'hold_not_found', 404);
  });

  it('says what the server decides for a client, and why', async () => {
    const { t, call } = await adminServer();
    const decision = await answer(await call('GET', '/clients/public-app/decision'), 'decision');
    assert.deepEqual(
      [decision.client_id, decision.state, decision.tier, decision.admitted],
      ['public-app', 'approved', 'trusted', true],
    );
    assert.ok(decision.reasons.length > 0);
    await call('POST', '/blocks', { body: { target: 'public-app' } });
    const blocked = await answer(await call('GET', '/clients/public-app/decision'), 'decision');
    assert.deepEqual(
      [blocked.state, blocked.refusal, blocked.state_rule?.origin],
      ['blocked', 'client_blocked', 'stored'],
    );
    await invalid(t, await call('GET', '/clients/no-such-client/decision'), 'client_not_found', 404);
  });

  it('revokes everything a client holds, then removes it, audited with the token as actor', async () => {
    const { t, call, audited, actor } = await adminServer();
    await t.tokensFor();
    const revoked = await answer(await call('POST', '/clients/public-app/revocations'), 'revokeClient');
    assert.equal(revoked.client_id, 'public-app');
    assert.ok(revoked.grants_revoked >= 1 && revoked.families_revoked >= 1, JSON.stringify(revoked));
    assert.equal((await audited('client.revoked'))?.actor, actor);
    const removed = await answer(await call('DELETE', '/clients/public-app'), 'removeClient');
    assert.equal(removed.existed, true);
    const removal = await audited('client.removed');
    assert.deepEqual([removal?.actor, removal?.reason, removal?.clientId], [actor, 'operator', 'public-app']);
    assert.equal(await t.store.clients.get('public-app'), undefined);
    await invalid(t, await call('DELETE', '/clients/public-app'), 'client_not_found', 404);
  });

  it('lists admin tokens without their secrets or digests', async () => {
    const { reader, writer, call } = await adminServer();
    const listed = await call('GET', '/admin-tokens', { token: reader.token });
    const text = await listed.clone().text();
    const { tokens } = await answer(listed, 'listAdminTokens');
    assert.deepEqual(
      tokens.map((token: Record<string, unknown>) => [token.id, token.scope, token.state, token.created_by]),
      [
        [writer.issued.id, 'write', 'active', 'test'],
        [reader.issued.id, 'read', 'active', 'test'],
      ],
    );
    for (const secret of [reader.token, writer.token, digest(reader.token), digest(writer.token)])
      assert.ok(!text.includes(secret), 'the list shows neither a token nor its digest');
  });
});

describe('admin API: metrics', () => {
  it('counts admin requests by route and outcome, and governance changes by audit type', async () => {
    const { t, call } = await adminServer();
    await call('POST', '/approvals', { body: { target: 'public-app' } });
    await call('GET', '/rules', { token: null });
    const metrics = await t.server.metrics.metrics();
    assert.match(
      metrics,
      /gatehouse_http_requests_total\{endpoint="admin_v1_approvals",method="POST",status="200",outcome="ok"\} 1/,
    );
    assert.match(
      metrics,
      /gatehouse_http_requests_total\{endpoint="admin_v1_rules",method="GET",status="401",outcome="invalid_token"\} 1/,
    );
    assert.match(metrics, /gatehouse_audit_events_total\{type="governance.client_approved"\} 1/);
    assert.match(metrics, /gatehouse_audit_events_total\{type="admin_token.issued"\} 2/);
  });
});
