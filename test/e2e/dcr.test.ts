/**
 * Dynamic Client Registration end to end (RFC 7591, RFC 7592), with Client ID Metadata Documents
 * switched off as an operator might: the MCP SDK clients fall back to registering (MCP-5, MCP-7)
 * and complete the flow; oauth4webapi registers, reads, updates and deletes its own registration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth as authV2 } from '@modelcontextprotocol/client';
import { auth as authV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import * as oauth from 'oauth4webapi';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import type { TestDeployment } from '../support/gatehouse-over-tls.ts';
import { InMemoryClientProvider } from '../support/mcp-client-provider.ts';
import { LOGIN, type McpDeployment, runMcpAuth, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { type ClientOptions, clientOptions } from '../support/oauth-client.ts';
import { UserAgent } from '../support/user-agent.ts';

describe('Dynamic Client Registration end to end (CIMD off)', () => {
  let mcp: McpDeployment;
  let deployment: TestDeployment;
  let mcpResource: string;
  let options: ClientOptions;

  before(async () => {
    mcp = await startMcpDeployment({ cimd: { enabled: false } }, ['mcp.test']);
    ({ deployment, mcpResource } = mcp);
    options = clientOptions(deployment);
  });

  after(() => mcp.close());

  it('advertises a registration endpoint and no CIMD support', async () => {
    const as = await discover(deployment);
    assert.equal(as.registration_endpoint, `${deployment.issuer}/register`);
    assert.equal(as.client_id_metadata_document_supported, undefined);
  });

  for (const [name, auth] of [
    ['MCP SDK v1 (@modelcontextprotocol/sdk)', authV1],
    ['MCP SDK v2 (@modelcontextprotocol/client)', authV2],
  ] as const) {
    it(`${name} registers dynamically and completes the flow`, async () => {
      const provider = new InMemoryClientProvider({ redirectUrl: 'http://127.0.0.1:33418/callback' });
      const run = (callback?: URL) => runMcpAuth(auth, provider, mcpResource, deployment.fetch, callback);
      assert.equal(await run(), 'REDIRECT');
      const clientId = provider.clientInformation()?.client_id;
      assert.ok(clientId, 'the SDK registered');
      assert.doesNotMatch(
        clientId,
        /^[a-z][a-z0-9+.-]*:/i,
        'a DCR client_id never looks like a URL (CIMD-CO-1)',
      );
      assert.equal((await deployment.gatehouse.store.clients.get(clientId))?.kind, 'dcr');
      const callback = await authorizeInBrowser(
        new UserAgent(deployment.fetch),
        provider.authorization.url!,
        deployment.issuer,
        LOGIN,
      );
      assert.equal(await run(callback), 'AUTHORIZED');
      const claims = JSON.parse(
        Buffer.from(provider.tokens()!.access_token.split('.')[1]!, 'base64url').toString(),
      );
      assert.equal(claims.aud, mcpResource);
      assert.equal(claims.client_id, clientId);
    });
  }

  it('oauth4webapi registers, reads, updates and deletes its registration (RFC 7591, RFC 7592)', async () => {
    const as = await discover(deployment);
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: 'oauth4webapi e2e',
          redirect_uris: ['https://app.example.test/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'client_secret_basic',
          software_id: 'gatehouse-e2e',
        },
        options,
      ),
    );
    const { client_id, client_secret, registration_access_token, registration_client_uri } =
      registered as Record<string, string>;
    assert.ok(client_id && client_secret && registration_access_token && registration_client_uri);
    const manage = (method: string, body?: unknown) =>
      oauth.protectedResourceRequest(
        registration_access_token!,
        method,
        new URL(registration_client_uri!),
        new Headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body === undefined ? null : JSON.stringify(body),
        options,
      );

    const read = await manage('GET');
    assert.equal(read.status, 200);
    const current = (await read.json()) as Record<string, unknown>;
    assert.equal(current.client_id, client_id);
    assert.equal(current.client_name, 'oauth4webapi e2e');

    // RFC 7592 §2.2: a full replacement; software_id is left out, so it is deleted.
    const updated = await manage('PUT', {
      client_id,
      client_secret,
      client_name: 'renamed',
      redirect_uris: ['https://app.example.test/callback', 'https://app.example.test/other'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(updated.status, 200);
    const replaced = (await updated.json()) as Record<string, unknown>;
    assert.equal(replaced.client_name, 'renamed');
    assert.equal(replaced.software_id, undefined, 'omitted fields are deleted, not kept');
    assert.deepEqual(replaced.grant_types, ['authorization_code']);
    const token = (replaced.registration_access_token as string | undefined) ?? registration_access_token!;

    const deleted = await oauth.protectedResourceRequest(
      token,
      'DELETE',
      new URL(registration_client_uri!),
      new Headers(),
      null,
      options,
    );
    assert.equal(deleted.status, 204);
    // The deleted registration's token is now invalid: RFC 7592 §2.3 / RFC 6750 §3.1, a 401 challenge.
    await assert.rejects(
      oauth.protectedResourceRequest(
        token,
        'GET',
        new URL(registration_client_uri!),
        new Headers(),
        null,
        options,
      ),
      (error: unknown) =>
        error instanceof oauth.WWWAuthenticateChallengeError &&
        error.status === 401 &&
        error.cause.some(
          (challenge) => challenge.scheme === 'bearer' && challenge.parameters.error === 'invalid_token',
        ),
    );
    assert.equal(await deployment.gatehouse.store.clients.get(client_id!), undefined);
  });
});
