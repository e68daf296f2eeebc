/**
 * Issue #17 item 3 end to end over TLS: one loopback Client ID Metadata Document client (the shape
 * of Claude Code, VS Code or opencode) signed in by one user on two machines, each with its own
 * DPoP key (RFC 9449) and its own ephemeral loopback port, driven by oauth4webapi against
 * `gatehouse serve`. One grant (one consent for the redirect), two installations told apart by
 * DPoP key; the operator revokes the laptop through the admin API (a token issued by the CLI on
 * the same data directory): the laptop's refresh fails, the desktop's refreshes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import { authorizationUrl, LOGIN, type McpDeployment, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { clientOptions, redeemCode } from '../support/oauth-client.ts';
import { UserAgent } from '../support/user-agent.ts';

interface Machine {
  keys: CryptoKeyPair;
  jkt: string;
  refreshToken: string;
}

describe('installations of one loopback client on two machines (end to end, DPoP)', () => {
  let mcp: McpDeployment;
  let clientId: string;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  const machines: Machine[] = [];

  /** RFC 9449 §8: one retry when the server asks for a nonce. */
  async function withNonceRetry<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error;
      return call();
    }
  }

  async function signIn(port: number): Promise<Machine> {
    const { deployment, mcpResource } = mcp;
    const keys = await generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keys);
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      resource: mcpResource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, LOGIN);
    const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const tokens = await withNonceRetry(() =>
      redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
        ...clientOptions(deployment),
        DPoP,
        additionalParameters: { resource: mcpResource },
      }),
    );
    assert.equal(tokens.token_type, 'dpop');
    return {
      keys,
      jkt: await calculateJwkThumbprint(await exportJWK(keys.publicKey), 'sha256'),
      refreshToken: tokens.refresh_token!,
    };
  }

  async function refresh(machine: Machine): Promise<oauth.TokenEndpointResponse> {
    const DPoP = oauth.DPoP(client, machine.keys);
    const options = { ...clientOptions(mcp.deployment), DPoP };
    return withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), machine.refreshToken, options),
      ),
    );
  }

  before(async () => {
    mcp = await startMcpDeployment({ cimd: { refresh_cooldown_seconds: 0 } }, ['client.test', 'mcp.test']);
    clientId = `${mcp.host.origin('client.test')}/cli-agent.json`;
    mcp.host.json('/cli-agent.json', {
      client_id: clientId,
      client_name: 'A command-line agent',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    as = await discover(mcp.deployment);
    client = { client_id: clientId, token_endpoint_auth_method: 'none' };
  });

  after(() => mcp?.close());

  it('two machines sign in, each with its own DPoP key and port', async () => {
    machines.push(await signIn(50001), await signIn(50002));
    assert.notEqual(machines[0]!.jkt, machines[1]!.jkt);
  });

  it('revoking the laptop through the admin API leaves the desktop refreshing', async () => {
    const issued = await run(['admin-tokens', 'issue', '--scope', 'write', '--data', mcp.deployment.dataDir]);
    assert.equal(issued.code, 0, issued.stderr);
    const token = /admin_token: (\S+)/.exec(issued.stdout)?.[1];
    assert.ok(token);
    const admin = (path: string, body?: unknown) =>
      mcp.deployment.fetch(`${mcp.deployment.issuer}/admin/v1${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const listed = await admin('/users/alice/connections');
    assert.equal(listed.status, 200);
    const { connections } = (await listed.json()) as {
      connections: { grant_id: string; installations: { key: string; dpop_jkt?: string }[] }[];
    };
    assert.equal(connections.length, 1, 'one consent for the loopback redirect');
    const [connection] = connections;
    assert.deepEqual(
      connection!.installations.map((installation) => installation.dpop_jkt).sort(),
      machines.map((machine) => machine.jkt).sort(),
      'one installation per DPoP key',
    );
    const laptop = connection!.installations.find(
      (installation) => installation.dpop_jkt === machines[0]!.jkt,
    );
    const revoked = await admin(`/connections/${connection!.grant_id}/installation-revocations`, {
      installation: laptop!.key,
    });
    assert.equal(revoked.status, 200, await revoked.clone().text());
    assert.deepEqual(await revoked.json(), {
      grant_id: connection!.grant_id,
      installation: laptop!.key,
      families_revoked: 1,
      grant_revoked: false,
    });

    await assert.rejects(
      refresh(machines[0]!),
      (error: oauth.ResponseBodyError) => error.error === 'invalid_grant',
    );
    const renewed = await refresh(machines[1]!);
    assert.equal(renewed.token_type, 'dpop');
    assert.ok(renewed.refresh_token);
  });
});
