/**
 * A real MCP server protected by Gatehouse, end to end over TLS on loopback (issue #7), with dynamic
 * registration (MCP-7) and CIMD off, the MCP SDK v1 and v2 clients as MCP hosts run them: register,
 * login and consent, token (MCP-9), tool call, refresh (MCP-11), step-up (MCP-16). The resource
 * server's clock is moved past the access token's expiry so the client must refresh.
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

describe('the example MCP server behind Gatehouse, with dynamic registration (CIMD off)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ cimd: false });
  });
  after(() => stack.close());

  it(`${v1.name}: registers (MCP-7), calls a tool, refreshes, steps up`, async () => {
    const provider = new HostProvider({ redirectUrl: 'http://127.0.0.1:33420/callback' });
    const ua = new UserAgent(stack.fetch);
    const { client } = await signIn(v1, stack, provider, ua);
    const clientId = provider.clientInformation()!.client_id;
    assert.ok(!clientId.startsWith('https://'), 'a registered client_id, not a URL');
    assert.equal((await stack.deployment.gatehouse.store.clients.get(clientId))?.kind, 'dcr');
    const who = JSON.parse(await call(client, 'whoami')) as Record<string, unknown>;
    assert.equal(who.client_id, clientId);

    await forceRefresh(stack, provider, client);

    // The SDK registered with scope "mcp:tools"; under the MCP profile that is no ceiling (MCP-16).
    const again = await reconnectWithoutRefreshToken(stack, provider);
    await addNoteAfterStepUp(v1, ua, stack, provider, again, 'dcr');
    await client.close();
    await again.client.close();
  });

  it(`${v2.name}: registers, calls a tool, refreshes, steps up by the union`, async () => {
    const dpop = await DpopSession.create();
    const provider = new HostProvider({ redirectUrl: 'http://127.0.0.1:33421/callback', dpop });
    const ua = new UserAgent(stack.fetch);
    const { client, transport } = await signIn(v2, stack, provider, ua);
    const clientId = provider.clientInformation()!.client_id;
    assert.equal((await stack.deployment.gatehouse.store.clients.get(clientId))?.kind, 'dcr');
    assert.deepEqual(decodeJwt(provider.tokens()!.access_token).cnf, { jkt: dpop.thumbprint });
    await forceRefresh(stack, provider, client);
    await addNoteAfterStepUp(v2, ua, stack, provider, { client, transport }, 'dcr v2');
    await client.close();
  });
});
