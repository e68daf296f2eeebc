/**
 * A real MCP server protected by Gatehouse, end to end over TLS on loopback (issue #7), with Client ID
 * Metadata Documents, the MCP SDK v1 and v2 clients as MCP hosts run them:
 *
 *   401 → protected-resource metadata (MCP-19) → AS metadata (MCP-2) → CIMD (MCP-5)
 *   → login and consent → token (MCP-9: audience = the MCP server) → tool call → refresh (MCP-11)
 *   → 403 insufficient_scope → re-authorization with more scopes (MCP-16) → tool call.
 *
 * The resource server's clock is the only one moved: it is set past the access token's expiry so
 * the client must refresh, and set back when the refresh reaches Gatehouse's token endpoint.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DpopSession } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import {
  addNoteAfterStepUp,
  call,
  forceRefresh,
  HostProvider,
  reconnectWithoutRefreshToken,
  type Stack,
  signIn,
  startStack,
  v1,
  v2,
} from '../support/mcp-stack.ts';
import { UserAgent } from '../support/user-agent.ts';

describe('the example MCP server behind Gatehouse, with Client ID Metadata Documents', () => {
  let stack: Stack;

  function publish(name: string): string {
    const clientId = `${stack.clientHost!.origin('client.test')}/${name}.json`;
    stack.clientHost!.json(`/${name}.json`, {
      client_id: clientId,
      client_name: `E2E MCP host (${name})`,
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    return clientId;
  }

  before(async () => {
    stack = await startStack({ cimd: true });
  });
  after(() => stack.close());

  it('serves RFC 9728 metadata at the path-inserted URL, naming Gatehouse (MCP-19)', async () => {
    const origin = new URL(stack.resource).origin;
    const response = await stack.fetch(`${origin}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.resource, stack.resource);
    assert.deepEqual(metadata.authorization_servers, [stack.deployment.issuer]);
    const unauthenticated = await stack.fetch(stack.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    assert.equal(unauthenticated.status, 401);
    assert.match(
      unauthenticated.headers.get('www-authenticate') ?? '',
      /resource_metadata="https:\/\/mcp\.test:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
  });

  it(`${v1.name}: CIMD sign-in, tool call, refresh, step-up`, async () => {
    const clientId = publish('mcp-v1');
    const provider = new HostProvider({
      redirectUrl: 'http://127.0.0.1:33418/callback',
      clientMetadataUrl: clientId,
    });
    const ua = new UserAgent(stack.fetch);
    const { client } = await signIn(v1, stack, provider, ua);
    const who = JSON.parse(await call(client, 'whoami')) as Record<string, unknown>;
    assert.equal(who.client_id, clientId);
    assert.deepEqual(who.scopes, ['mcp:tools']);
    assert.equal(who.dpop_bound, false);
    assert.equal(decodeJwt(provider.tokens()!.access_token).aud, stack.resource, 'MCP-9/MCP-10');

    await forceRefresh(stack, provider, client);

    // Step-up. SDK v1 refreshes first and never re-authorizes while it holds a refresh token
    // (modelcontextprotocol/typescript-sdk#2255): the refresh cannot widen the scope (RFC 6749 §6).
    await assert.rejects(call(client, 'add_note', { text: 'from v1' }), /403.*upscoping/s);
    const again = await reconnectWithoutRefreshToken(stack, provider);
    await addNoteAfterStepUp(v1, ua, stack, provider, again, 'from v1');
    assert.match(await call(again.client, 'list_notes'), /^from v1$/m);
    assert.deepEqual((decodeJwt(provider.tokens()!.access_token).scope as string).split(' ').sort(), [
      'mcp:tools',
      'notes:write',
    ]);
    await client.close();
    await again.client.close();
  });

  it(`${v2.name}: CIMD sign-in, tool call, refresh, step-up by the union`, async () => {
    const clientId = publish('mcp-v2');
    const dpop = await DpopSession.create();
    const provider = new HostProvider({
      redirectUrl: 'http://127.0.0.1:33419/callback',
      clientMetadataUrl: clientId,
      dpop,
    });
    const ua = new UserAgent(stack.fetch);
    const { client, transport } = await signIn(v2, stack, provider, ua);
    const tokens = provider.tokens()!;
    assert.equal(tokens.token_type.toLowerCase(), 'dpop', 'RFC 9449 §5: a DPoP-bound token');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: dpop.thumbprint });
    const who = JSON.parse(await call(client, 'whoami')) as Record<string, unknown>;
    assert.equal(who.client_id, clientId);
    assert.equal(who.dpop_bound, true);
    assert.deepEqual(who.scopes, ['mcp:tools', 'offline_access'], 'SDK v2 asked for offline_access (MCP-17)');

    await forceRefresh(stack, provider, client);
    assert.deepEqual(decodeJwt(provider.tokens()!.access_token).cnf, { jkt: dpop.thumbprint });

    // SDK v2 (SEP-2350): the union of what it had and the challenge, by a new authorization.
    await addNoteAfterStepUp(v2, ua, stack, provider, { client, transport }, 'from v2');
    assert.equal(decodeJwt(provider.tokens()!.access_token).scope, 'mcp:tools offline_access notes:write');
    await client.close();
  });
});
