/**
 * Client credentials end to end (issue #17 item 4, MCP-EXT-CC, decision 0042): oauth4webapi's
 * `clientCredentialsGrantRequest` with a CIMD client that authenticates with private_key_jwt, its
 * keys in the document served on the test network, against `gatehouse serve` over TLS. The token
 * is verified by @gatehouse-oauth/resource-server as the MCP server would; a DPoP proof binds it;
 * the client blocked, it is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createResourceServer } from '@gatehouse-oauth/resource-server';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { discover } from '../support/discover.ts';
import { type McpDeployment, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { type ClientOptions, clientOptions } from '../support/oauth-client.ts';

describe('oauth4webapi client_credentials with a CIMD private_key_jwt client', () => {
  let mcp: McpDeployment;
  let options: ClientOptions;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;

  before(async () => {
    mcp = await startMcpDeployment(
      // Document clients are verified-domain; that tier alone may use the grant here.
      { governance: { tiers: { verified_domain: { client_credentials: true } } } },
      ['client.test', 'mcp.test'],
    );
    options = clientOptions(mcp.deployment);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = 'machine-key-1';
    const clientId = `${mcp.host.origin('client.test')}/machine.json`;
    mcp.host.json('/machine.json', {
      client_id: clientId,
      client_name: 'E2E machine client',
      // CIMD-DOC-8: a document lists redirect URIs even when it never uses them.
      redirect_uris: ['https://app.example.test/callback'],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    });
    client = { client_id: clientId };
    clientAuth = oauth.PrivateKeyJwt({ key: privateKey, kid });
    as = await discover(mcp.deployment);
  });

  after(() => mcp.close());

  async function clientCredentials(extra: { DPoP?: oauth.DPoPHandle } = {}) {
    return oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        clientAuth,
        { resource: mcp.mcpResource, scope: 'mcp:tools' },
        { ...options, ...extra },
      ),
    );
  }

  it('advertises the grant and the JWT client authentication MCP-EXT-CC asks for', () => {
    assert.ok(as.grant_types_supported?.includes('client_credentials'));
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
    assert.ok(as.token_endpoint_auth_signing_alg_values_supported?.includes('ES256'));
  });

  it('issues a token for the client itself, which the resource server accepts', async () => {
    const tokens = await clientCredentials();
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.refresh_token, undefined);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, client.client_id);
    assert.equal(claims.aud, mcp.mcpResource);

    const resourceServer = createResourceServer({
      issuer: mcp.deployment.issuer,
      resource: mcp.mcpResource,
      fetch: mcp.deployment.fetch as typeof fetch,
    });
    const result = await resourceServer.authenticate(
      new Request(mcp.mcpResource, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      { scopes: ['mcp:tools'] },
    );
    assert.ok(result.ok, 'the resource server accepts the token');
    assert.equal(result.auth.clientId, client.client_id);
  });

  it('binds the token to a DPoP key when the request carries a proof (RFC 9449)', async () => {
    const DPoP = oauth.DPoP(client, await generateKeyPair('ES256'));
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await clientCredentials({ DPoP });
    } catch (error) {
      // RFC 9449 §8: the server asks for its nonce first; the handle now holds it.
      if (!oauth.isDPoPNonceError(error)) throw error;
      tokens = await clientCredentials({ DPoP });
    }
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await DPoP.calculateThumbprint() });
  });

  it('refuses the client once an operator blocks it (`gatehouse clients block`)', async () => {
    const finished = await run(['clients', 'block', client.client_id, '--data', mcp.deployment.dataDir]);
    assert.equal(finished.code, 0, finished.stderr);
    // The running server reads the block from the change feed within a poll.
    const refused = () =>
      assert.rejects(
        clientCredentials(),
        (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_client',
      );
    for (let attempt = 0; ; attempt += 1) {
      try {
        await refused();
        break;
      } catch (error) {
        if (attempt >= 25) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
});
