/**
 * RFC 7592 per installation end to end over TLS (issue #17 item 2, decision 0046): one public
 * native software (a `software_id`, a loopback redirect) registered by two machines with
 * oauth4webapi against `gatehouse serve`, recognised as one shared registration. Each machine gets
 * a client_id and registration access token of its own, reads its own registration (RFC 7592
 * §2.1), signs in and refreshes; the laptop deletes its registration (§2.3): its refresh fails, the
 * desktop keeps refreshing; the desktop's deletion takes the shared registration with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import { authorizationUrl, LOGIN, type McpDeployment, startMcpDeployment } from '../support/mcp-stand-in.ts';
import { type ClientOptions, clientOptions, redeemCode, refreshTokens } from '../support/oauth-client.ts';
import { UserAgent } from '../support/user-agent.ts';

interface Machine {
  client: oauth.Client;
  registrationAccessToken: string;
  registrationClientUri: string;
  refreshToken?: string;
}

describe('RFC 7592 per installation of a recognised registration (end to end)', () => {
  let mcp: McpDeployment;
  let as: oauth.AuthorizationServer;
  let options: ClientOptions;
  const machines: Machine[] = [];

  before(async () => {
    mcp = await startMcpDeployment({ cimd: { enabled: false } }, ['mcp.test']);
    as = await discover(mcp.deployment);
    options = clientOptions(mcp.deployment);
  });
  after(() => mcp?.close());

  const manage = (machine: Machine, method: string) =>
    oauth.protectedResourceRequest(
      machine.registrationAccessToken,
      method,
      new URL(machine.registrationClientUri),
      new Headers(),
      null,
      options,
    );

  async function register(): Promise<Machine> {
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: 'A native agent',
          redirect_uris: ['http://127.0.0.1/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'none',
          software_id: 'native-agent',
        },
        options,
      ),
    );
    return {
      client: { client_id: registered.client_id, token_endpoint_auth_method: 'none' },
      registrationAccessToken: registered.registration_access_token as string,
      registrationClientUri: registered.registration_client_uri as string,
    };
  }

  async function signIn(machine: Machine, port: number): Promise<void> {
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: machine.client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      resource: mcp.mcpResource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await authorizeInBrowser(
      new UserAgent(mcp.deployment.fetch),
      url,
      mcp.deployment.issuer,
      LOGIN,
    );
    const parameters = oauth.validateAuthResponse(as, machine.client, callback, oauth.expectNoState);
    const tokens = await redeemCode(as, machine.client, oauth.None(), parameters, redirectUri, verifier, {
      ...options,
      additionalParameters: { resource: mcp.mcpResource },
    });
    machine.refreshToken = tokens.refresh_token!;
  }

  const refresh = (machine: Machine) =>
    refreshTokens(as, machine.client, oauth.None(), machine.refreshToken!, options);

  it('two machines register: two client_ids under one shared registration, each reads its own', async () => {
    machines.push(await register(), await register());
    const [laptop, desktop] = machines;
    assert.notEqual(laptop!.client.client_id, desktop!.client.client_id);
    const store = mcp.deployment.gatehouse.store;
    const shared = (await store.clients.get(laptop!.client.client_id))?.registration?.sharedRegistration;
    assert.ok(shared !== undefined);
    assert.equal(
      (await store.clients.get(desktop!.client.client_id))?.registration?.sharedRegistration,
      shared,
    );
    for (const machine of machines) {
      const read = await manage(machine, 'GET');
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as { client_id: string }).client_id, machine.client.client_id);
    }
  });

  it("one machine deletes its registration: its refresh fails, the other's refreshes", async () => {
    const [laptop, desktop] = machines;
    await signIn(laptop!, 50101);
    await signIn(desktop!, 50102);
    assert.equal((await manage(laptop!, 'DELETE')).status, 204);
    await assert.rejects(refresh(laptop!));
    const renewed = await refresh(desktop!);
    assert.ok(renewed.access_token);
    if (renewed.refresh_token !== undefined) desktop!.refreshToken = renewed.refresh_token;
  });

  it("the last machine's deletion removes the shared registration", async () => {
    const [, desktop] = machines;
    const store = mcp.deployment.gatehouse.store;
    const shared = (await store.clients.get(desktop!.client.client_id))?.registration?.sharedRegistration;
    assert.equal((await manage(desktop!, 'DELETE')).status, 204);
    assert.equal(await store.clients.get(shared!), undefined);
  });
});
