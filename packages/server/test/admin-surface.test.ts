/**
 * Where the admin API is served (issue #13, decision 0032), its OpenAPI 3.1 document (served, valid,
 * and equal to the checked-in docs/admin-api.openapi.json: `npm run docs:openapi` regenerates it),
 * and the admin tokens themselves (issued once, stored as digests, audited).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { digest } from '../src/crypto/digest.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

const CHECKED_IN = readFileSync(new URL('../../../docs/admin-api.openapi.json', import.meta.url), 'utf8');
const LISTENER = 'http://127.0.0.1:9443';

type Json = Record<string, unknown>;

/** Every `$ref` in a JSON value, with where it is. */
function refs(value: unknown, at = '#'): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => refs(item, `${at}/${index}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, member]): [string, string][] =>
    key === '$ref' && typeof member === 'string' ? [[member, at]] : refs(member, `${at}/${key}`),
  );
}

function resolve(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key.replaceAll('~1', '/')], document);
}

describe('admin API: the OpenAPI document', () => {
  it('is served below the issuer without a token, and is the checked-in file byte for byte', async () => {
    const t = await createTestServer();
    const response = await t.send(`${ISSUER}/admin/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(await response.text(), CHECKED_IN, 'run `npm run docs:openapi` and commit the result');
  });

  it('is a valid OpenAPI 3.1 document describing every operation served', () => {
    const document = JSON.parse(CHECKED_IN) as Json;
    assert.equal(document.openapi, '3.1.0');
    const info = document.info as Json;
    assert.ok(typeof info.title === 'string' && typeof info.version === 'string');
    const unresolved = refs(document).filter(([ref]) => !ref.startsWith('#/') || !resolve(document, ref));
    assert.deepEqual(unresolved, [], 'every $ref is local and resolves');
    const schemes = Object.keys(((document.components as Json).securitySchemes as Json) ?? {});
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
      assert.match(path, /^\/admin\//);
      for (const [method, value] of Object.entries(item)) {
        const operation = value as Json;
        const where = `${method} ${path}`;
        assert.ok(['get', 'post', 'patch', 'delete'].includes(method), where);
        assert.ok(
          typeof operation.operationId === 'string' && !operationIds.has(operation.operationId),
          where,
        );
        operationIds.add(operation.operationId as string);
        const responses = Object.entries(operation.responses as Record<string, Json>);
        assert.ok(responses.length > 0, where);
        for (const [status, answer] of responses) {
          assert.match(status, /^[1-5]\d\d$/, where);
          const resolved = (
            answer.$ref === undefined ? answer : resolve(document, answer.$ref as string)
          ) as Json;
          assert.equal(typeof resolved.description, 'string', `${where} ${status}`);
        }
        const templated = [...path.matchAll(/\{([a-z_]+)\}/g)].map((match) => match[1]);
        const declared = ((operation.parameters as Json[] | undefined) ?? []).filter((p) => p.in === 'path');
        assert.deepEqual(
          declared.map((p) => [p.name, p.required]),
          templated.map((name) => [name, true]),
          where,
        );
        for (const requirement of (operation.security as Json[] | undefined) ?? [])
          for (const scheme of Object.keys(requirement)) assert.ok(schemes.includes(scheme), where);
      }
    }
    for (const [id, operation] of Object.entries(ADMIN_OPERATIONS)) {
      const described = (document.paths as Record<string, Record<string, Json>>)[operation.path]?.[
        operation.method
      ];
      assert.equal(described?.operationId, id);
      assert.deepEqual(described?.security, [{ adminToken: [operation.scope] }]);
    }
  });
});

describe('admin API: where it is served', () => {
  it("is below the issuer's path", async () => {
    const t = await createTestServer({ issuer: 'https://as.example.test/tenant' });
    const { token } = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await t.send('https://as.example.test/tenant/admin/v1/rules', { headers })).status, 200);
    assert.equal((await t.send('https://as.example.test/admin/v1/rules', { headers })).status, 404);
    assert.equal((await t.send('https://as.example.test/tenant/admin/openapi.json')).status, 200);
  });

  it('is served nowhere when admin.enabled is off', async () => {
    const t = await createTestServer({ admin: { enabled: false } });
    const { token } = await t.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await t.send(`${ISSUER}/admin/v1/rules`, { headers })).status, 404);
    assert.equal((await t.send(`${ISSUER}/admin/openapi.json`)).status, 404);
    const own = await t.server.admin.fetch(new Request(`${LISTENER}/admin/v1/rules`, { headers }));
    assert.equal(own.status, 404);
  });

  it('is served only on admin.fetch, with the same credentials, when the main handler is off', async () => {
    const t = await createTestServer({ admin: { mainHandler: false } });
    const { token } = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await t.send(`${ISSUER}/admin/v1/rules`, { headers })).status, 404);
    const own = (path: string, init: RequestInit = {}) =>
      t.server.admin.fetch(new Request(`${LISTENER}${path}`, init));
    assert.equal((await own('/admin/v1/rules', { headers })).status, 200);
    const refused = await own('/admin/v1/rules');
    assert.equal(refused.status, 401);
    assert.deepEqual(await refused.json(), {
      error: 'invalid_token',
      error_description: 'the admin API needs an admin API token (Authorization: Bearer gha_...)',
    });
    assert.equal(await (await own('/admin/openapi.json')).text(), CHECKED_IN);
    assert.equal((await own('/token')).status, 404, 'nothing but the admin API there');
    assert.match(
      await t.server.metrics.metrics(),
      /gatehouse_http_requests_total\{endpoint="admin_v1_rules",method="GET",status="401",outcome="invalid_token"\} 1/,
    );
  });
});

describe('admin API tokens', () => {
  it('are issued once as gha_…, stored as a digest only, and audited with who issued them', async () => {
    const t = await createTestServer();
    const { token, issued } = await t.server.admin.tokens.issue({
      scope: 'write',
      label: 'deploy bot',
      expiresInSeconds: 3600,
      actor: 'cli:ops',
    });
    assert.match(token, /^gha_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      [issued.scope, issued.label, issued.state, issued.createdBy, issued.expiresAt],
      ['write', 'deploy bot', 'active', 'cli:ops', t.now() + 3_600_000],
    );
    const [stored] = await t.store.adminTokens.list();
    assert.equal(stored?.digest, digest(token));
    assert.ok(!JSON.stringify(stored).includes(token), 'the token itself is never stored');
    const [event] = await t.store.audit.list({ type: 'admin_token.issued' });
    assert.equal(event?.actor, 'cli:ops');
    assert.deepEqual(event?.detail, {
      id: issued.id,
      scope: 'write',
      label: 'deploy bot',
      expires_at: t.now() + 3_600_000,
    });
  });

  it('refuses to issue a token of an unknown scope, an empty label or a lifetime that is not positive', async () => {
    const { server } = await createTestServer();
    const issue = (options: Record<string, unknown>) =>
      server.admin.tokens.issue({ scope: 'read', actor: 'test', ...options } as never);
    await assert.rejects(issue({ scope: 'admin' }), RangeError);
    await assert.rejects(issue({ label: '' }), RangeError);
    await assert.rejects(issue({ expiresInSeconds: 0 }), RangeError);
    await assert.rejects(issue({ expiresInSeconds: 1.5 }), RangeError);
  });

  it('are listed with their state and revoked once, by id', async () => {
    const t = await createTestServer();
    const tokens = t.server.admin.tokens;
    const kept = await tokens.issue({ scope: 'read', actor: 'test' });
    const expiring = await tokens.issue({ scope: 'read', expiresInSeconds: 60, actor: 'test' });
    const revoked = await tokens.issue({ scope: 'write', actor: 'test' });
    assert.equal(await tokens.revoke(revoked.issued.id, { actor: 'cli:ops' }), 'revoked');
    assert.equal(await tokens.revoke(revoked.issued.id, { actor: 'cli:ops' }), 'already_revoked');
    assert.equal(await tokens.revoke('no-such-id', { actor: 'cli:ops' }), 'unknown');
    t.advance(60_000);
    assert.deepEqual(
      (await tokens.list()).map((token) => [token.id, token.state]),
      [
        [kept.issued.id, 'active'],
        [expiring.issued.id, 'expired'],
        [revoked.issued.id, 'revoked'],
      ],
    );
    const events = await t.store.audit.list({ type: 'admin_token.revoked' });
    assert.deepEqual(
      events.map((event) => [event.actor, event.detail?.id]),
      [['cli:ops', revoked.issued.id]],
      'audited once',
    );
  });
});
