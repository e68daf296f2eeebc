/**
 * The MCP profile (`profile: 'mcp'`, docs/mcp.md): the defaults real MCP clients need, each against
 * the requirement it answers, and the default profile beside it where they differ.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { withMcpProfile } from '../src/profiles/mcp-profile.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

const mcpResource = { uri: RESOURCE, scopes: ['mcp:tools', 'notes:write'], name: 'Example MCP' };

describe('MCP profile', () => {
  it('gives a scope-less request all scopes of a resource without configured default scopes', async () => {
    const t = await createTestServer({ profile: 'mcp', resources: [mcpResource] });
    const tokens = await t.tokensFor({ scope: undefined });
    assert.equal(tokens.scope, 'mcp:tools notes:write');
  });

  it('keeps configured default scopes, so other scopes are left for step-up (MCP-16)', async () => {
    const t = await createTestServer({
      profile: 'mcp',
      resources: [{ ...mcpResource, defaultScopes: ['mcp:tools'] }],
    });
    assert.equal((await t.tokensFor({ scope: undefined })).scope, 'mcp:tools');
  });

  it('advertises offline_access and accepts it for every resource (MCP-17)', async () => {
    const t = await createTestServer({ profile: 'mcp', resources: [mcpResource] });
    const metadata = (await (await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)).json()) as {
      scopes_supported: string[];
    };
    assert.deepEqual(metadata.scopes_supported, ['mcp:tools', 'notes:write', 'offline_access']);
    const tokens = await t.tokensFor({ scope: 'mcp:tools offline_access' });
    assert.equal(tokens.scope, 'mcp:tools offline_access');
    assert.ok(tokens.refresh_token);
    const refreshed = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: 'public-app',
    });
    assert.equal(((await refreshed.json()) as { scope: string }).scope, 'mcp:tools offline_access');
  });

  it('issues refresh tokens without offline_access, and never makes it a default scope (MCP-17)', async () => {
    const t = await createTestServer({ profile: 'mcp', resources: [mcpResource] });
    const tokens = await t.tokensFor({ scope: 'mcp:tools' });
    assert.ok(tokens.refresh_token, 'the AS chooses to issue refresh tokens to refresh_token clients');
    assert.doesNotMatch((await t.tokensFor({ scope: undefined })).scope, /offline_access/);
  });

  it('the default profile refuses offline_access unless a resource offers it', async () => {
    const t = await createTestServer({ resources: [mcpResource] });
    const response = await t.send(t.authorizationUrl({ scope: 'mcp:tools offline_access' }), {
      redirect: 'manual',
    });
    assert.equal(new URL(response.headers.get('location')!).searchParams.get('error'), 'invalid_scope');
  });

  it('makes the only resource the audience of requests without resource (MCP-9, older clients)', async () => {
    const t = await createTestServer({ profile: 'mcp', resources: [mcpResource] });
    const tokens = await t.tokensFor({ resource: undefined, scope: 'mcp:tools' });
    assert.equal(decodeJwt(tokens.access_token).aud, RESOURCE);
    const plain = await createTestServer({ resources: [mcpResource] });
    const response = await plain.send(plain.authorizationUrl({ resource: undefined }), {
      redirect: 'manual',
    });
    assert.equal(new URL(response.headers.get('location')!).searchParams.get('error'), 'invalid_target');
  });

  it('matches a port-less loopback redirect at any port, like Claude Code needs (CIMD-REDIR-2)', async () => {
    const t = await createTestServer({ profile: 'mcp', resources: [mcpResource] });
    await t.addClient({
      client_id: 'claude-code-like',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const redirectUri = 'http://localhost:51234/callback';
    const callback = await t.authorize({ client_id: 'claude-code-like', redirect_uri: redirectUri });
    assert.equal(callback.origin, 'http://localhost:51234');
    const response = await t.token(
      t.redeemParams(callback, { client_id: 'claude-code-like', redirect_uri: redirectUri }),
    );
    assert.equal(response.status, 200);
    // The token endpoint compares exactly with what the code was bound to (checklist item 1).
    const again = await t.authorize({ client_id: 'claude-code-like', redirect_uri: redirectUri });
    const mismatch = await t.token(
      t.redeemParams(again, {
        client_id: 'claude-code-like',
        redirect_uri: 'http://localhost:51235/callback',
      }),
    );
    assert.equal(mismatch.status, 400);
  });

  it('lets an openly registered client step up beyond the scope it registered with (MCP-16, MCP-7)', async () => {
    // The MCP SDKs register with the scope of their first request (SEP-835).
    const stepUp = async (profile: 'mcp' | 'default') => {
      const t = await createTestServer({ profile, resources: [mcpResource] });
      const registered = await t.register({
        client_name: 'SDK client',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        scope: 'mcp:tools',
      });
      assert.equal(registered.status, 201, await registered.clone().text());
      const { client_id } = (await registered.json()) as { client_id: string };
      const response = await t.send(
        t.authorizationUrl({
          client_id,
          redirect_uri: 'http://127.0.0.1:4000/callback',
          scope: 'mcp:tools notes:write',
        }),
        { redirect: 'manual' },
      );
      return new URL(response.headers.get('location')!, ISSUER);
    };
    assert.equal((await stepUp('mcp')).pathname.startsWith('/interaction/'), true, 'on to login and consent');
    assert.equal((await stepUp('default')).searchParams.get('error'), 'invalid_scope');
  });

  it('fills in only what is unset: explicit options win', () => {
    const store = createMemoryStore();
    const options = withMcpProfile({
      issuer: ISSUER,
      store,
      profile: 'mcp',
      resources: [mcpResource, { uri: 'https://other.example.test', scopes: ['offline_access', 'x'] }],
      cimd: { enabled: false, missingAuthMethod: 'reject' },
      registration: { enabled: false, selfRegisteredScopeIsLimit: true },
    });
    assert.equal(options.defaultResource, undefined, 'two resources: no default audience');
    assert.deepEqual(options.cimd, { enabled: false, missingAuthMethod: 'reject' });
    assert.deepEqual(options.registration, { enabled: false, selfRegisteredScopeIsLimit: true });
    assert.deepEqual(options.resources?.[1], {
      uri: 'https://other.example.test',
      scopes: ['x', 'offline_access'],
      defaultScopes: ['x'],
    });
  });
});
