/**
 * Governance end to end (issue #13): Gatehouse as `gatehouse serve` runs it (SQLite, TLS on
 * loopback) in `approval` mode, real clients with Client ID Metadata Documents on the test network
 * (oauth4webapi, the MCP SDK v2), and the operator's commands run as a separate `gatehouse`
 * process on the same database file, as an operator would: what they change reaches the running
 * server through the client change feed within 2 seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth as authV2 } from '@modelcontextprotocol/client';
import * as oauth from 'oauth4webapi';
import { run } from '../../packages/cli/test/support/cli-process.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { discover } from '../support/discover.ts';
import type { TestDeployment } from '../support/gatehouse-over-tls.ts';
import { InMemoryClientProvider } from '../support/mcp-client-provider.ts';
import {
  authorizationUrl,
  LOGIN,
  type McpDeployment,
  runMcpAuth,
  startMcpDeployment,
} from '../support/mcp-stand-in.ts';
import { type ClientOptions, clientOptions, redeemCode, refreshTokens } from '../support/oauth-client.ts';
import type { TestHost } from '../support/test-hosts.ts';
import { isPage, UserAgent } from '../support/user-agent.ts';

/** Retries `check` until it passes, for at most `withinMs` (the change feed is polled every second). */
async function eventually(check: () => Promise<void>, withinMs = 2500): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > withinMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('governance end to end (approval mode, real clients, the CLI beside the server)', () => {
  let mcp: McpDeployment;
  let host: TestHost;
  let deployment: TestDeployment;
  let mcpResource: string;
  let options: ClientOptions;
  const cli = async (...args: string[]) => {
    const finished = await run([...args, '--data', deployment.dataDir]);
    assert.equal(finished.code, 0, `gatehouse ${args.join(' ')}: ${finished.stderr}`);
    return finished.stdout;
  };

  function publish(path: string, extra: Record<string, unknown> = {}) {
    const clientId = `${host.origin('client.test')}${path}`;
    host.json(path, {
      client_id: clientId,
      client_name: `Governed ${path}`,
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...extra,
    });
    return clientId;
  }

  before(async () => {
    mcp = await startMcpDeployment(
      {
        governance: { mode: 'approval' },
        // The resource server that checks tokens by introspection (decision 0029).
        introspection: { clients: ['e2e-introspector'] },
        cimd: { refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
      },
      ['client.test', 'mcp.test', 'blocked.test'],
    );
    ({ host, deployment, mcpResource } = mcp);
    options = clientOptions(deployment);
  });

  after(() => mcp.close());

  it('oauth4webapi: the waiting page, `clients pending`, then `clients approve` lets the same client through', async () => {
    const clientId = publish('/o4w.json');
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      resource: mcpResource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const ua = new UserAgent(deployment.fetch);
    const atClient = (location: string) => !location.startsWith(`${deployment.issuer}/`);
    const login = await ua.navigate(url.href, atClient);
    assert.ok(isPage(login));
    const waiting = await ua.submit(login, LOGIN, atClient);
    assert.ok(isPage(waiting), 'no redirect to the client: no code');
    assert.equal(waiting.status, 403);
    assert.match(waiting.html, /awaits approval/);

    const pending = JSON.parse(await cli('clients', 'pending', '--json')) as {
      requests: { clientId: string; userId: string }[];
    };
    const request = pending.requests.find((candidate) => candidate.clientId === clientId);
    assert.ok(request, 'the access request is listed');
    assert.ok(request.userId, 'with the user who asked');

    await cli('clients', 'approve', clientId, '--note', 'e2e');
    const tookMs = await eventually(async () => {
      const callback = await authorizeInBrowser(
        new UserAgent(deployment.fetch),
        url,
        deployment.issuer,
        LOGIN,
      );
      const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
      const tokens = await redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
        ...options,
        additionalParameters: { resource: mcpResource },
      });
      assert.ok(tokens.access_token);
    });
    assert.ok(tookMs <= 2500, `approved within 2 s on the running server (${tookMs} ms)`);
  });

  it('MCP SDK v2: approved, then `clients block`: refresh refused, introspection inactive, no new code', async () => {
    const clientMetadataUrl = publish('/mcp-v2.json');
    await cli('clients', 'approve', clientMetadataUrl, '--tier', 'verified-domain', '--owner', 'e2e-team');
    const provider = new InMemoryClientProvider({
      redirectUrl: 'http://127.0.0.1:33418/callback',
      clientMetadataUrl,
    });
    const runAuth = (callback?: URL) => runMcpAuth(authV2, provider, mcpResource, deployment.fetch, callback);
    await eventually(async () => {
      assert.equal(await runAuth(), 'REDIRECT');
      const callback = await authorizeInBrowser(
        new UserAgent(deployment.fetch),
        provider.authorization.url!,
        deployment.issuer,
        LOGIN,
      );
      assert.equal(await runAuth(callback), 'AUTHORIZED');
    });
    const tokens = provider.tokens()!;
    assert.ok(tokens.refresh_token);
    const introspector = await deployment.addClient({
      client_id: 'e2e-introspector',
      client_secret: 'e2e-introspector-secret-0123456789abcdefgh',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
    });
    const introspect = async (token: string) => {
      const response = await deployment.fetch(`${deployment.issuer}/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`e2e-introspector:${introspector.secret ?? 'e2e-introspector-secret-0123456789abcdefgh'}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }).toString(),
      });
      return (await response.json()) as { active: boolean };
    };

    await cli('clients', 'block', clientMetadataUrl, '--reason', 'e2e: compromised');
    await eventually(async () => {
      assert.deepEqual(await introspect(tokens.access_token), { active: false });
      assert.deepEqual(await introspect(tokens.refresh_token!), { active: false });
      const as = await discover(deployment);
      const client: oauth.Client = { client_id: clientMetadataUrl, token_endpoint_auth_method: 'none' };
      await assert.rejects(
        refreshTokens(as, client, oauth.None(), tokens.refresh_token!, options),
        (error: oauth.ResponseBodyError) => error.status === 401 && error.error === 'invalid_client',
      );
      const url = authorizationUrl(as.authorization_endpoint!, {
        client_id: clientMetadataUrl,
        redirect_uri: 'http://127.0.0.1:33418/callback',
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      const response = await deployment.fetch(url.href, { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
    });
  });

  it('a domain: block: the document host receives no request at all', async () => {
    await cli('clients', 'block', 'domain:blocked.test');
    const attempt = async (clientId: string) => {
      const url = authorizationUrl(`${deployment.issuer}/authorize`, {
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:40000/callback',
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      return deployment.fetch(url.href, { redirect: 'manual' });
    };
    // A probe tells when the running server has read the block from the change feed.
    await eventually(async () => {
      const response = await attempt(`${host.origin('blocked.test')}/probe.json`);
      assert.match(await response.text(), /blocked by the server/);
    });
    const clientId = `${host.origin('blocked.test')}/never.json`;
    host.json('/never.json', { client_id: clientId, redirect_uris: ['http://127.0.0.1/callback'] });
    const response = await attempt(clientId);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /blocked by the server/);
    assert.equal(host.hits('/never.json'), 0);
  });

  it('a document edited between fetches (a redirect on a foreign host) puts the client back to pending', async () => {
    const clientId = publish('/edited.json');
    await cli('clients', 'approve', clientId);
    const as = await discover(deployment);
    const request = (redirectUri: string) =>
      authorizationUrl(as.authorization_endpoint!, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        resource: mcpResource,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
    await eventually(async () => {
      await authorizeInBrowser(
        new UserAgent(deployment.fetch),
        request('http://127.0.0.1:40000/callback'),
        deployment.issuer,
        LOGIN,
      );
    });
    // The client adds a redirect on a host that is not its own; the server re-fetches on first use.
    publish('/edited.json', { redirect_uris: ['http://127.0.0.1/callback', 'https://elsewhere.example/cb'] });
    const ua = new UserAgent(deployment.fetch);
    const atClient = (location: string) => !location.startsWith(`${deployment.issuer}/`);
    const login = await ua.navigate(request('https://elsewhere.example/cb').href, atClient);
    assert.ok(isPage(login));
    const waiting = await ua.submit(login, LOGIN, atClient);
    assert.ok(isPage(waiting), 'no code for the held client');
    assert.equal(waiting.status, 403);
    const pending = JSON.parse(await cli('clients', 'pending', '--json')) as {
      holds: { clientId: string; reason: string }[];
    };
    const hold = pending.holds.find((candidate) => candidate.clientId === clientId);
    assert.ok(hold, 'listed as held');
    assert.match(hold.reason, /elsewhere\.example/);
  });

  it('`clients rules --json` lists the stored rules with their origin', async () => {
    const rules = JSON.parse(await cli('clients', 'rules', '--json')) as {
      selector: string;
      origin: string;
    }[];
    assert.ok(rules.some((rule) => rule.selector === 'domain:blocked.test' && rule.origin === 'stored'));
  });
});

describe('governance end to end (report-only mode, a tier ceiling)', () => {
  let mcp: McpDeployment;
  let host: TestHost;
  let deployment: TestDeployment;
  let mcpResource: string;
  let options: ClientOptions;

  before(async () => {
    mcp = await startMcpDeployment(
      {
        governance: {
          mode: 'report-only',
          // The test documents redirect to loopback only: the `local` tier (any program on the machine).
          tiers: { local: { scopes: ['mcp:tools'] } },
        },
        cimd: { refresh_cooldown_seconds: 0, fetches_per_second_per_host: 100 },
      },
      ['client.test', 'mcp.test'],
      // The resource offers both; the tier allows only the first.
      ['mcp:tools', 'mcp:admin'],
    );
    ({ host, deployment, mcpResource } = mcp);
    options = clientOptions(deployment);
  });

  after(() => mcp.close());

  async function flow(clientId: string, scope?: string) {
    const as = await discover(deployment);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const verifier = oauth.generateRandomCodeVerifier();
    const url = authorizationUrl(as.authorization_endpoint!, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      resource: mcpResource,
      ...(scope === undefined ? {} : { scope }),
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await authorizeInBrowser(new UserAgent(deployment.fetch), url, deployment.issuer, LOGIN);
    return { as, client, callback, redirectUri, verifier };
  }

  it('report-only: a blocked, unapproved client is served as before, and what would have happened is audited', async () => {
    const clientId = `${host.origin('client.test')}/report.json`;
    host.json('/report.json', {
      client_id: clientId,
      client_name: 'Report-only client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    });
    const finished = await run(['clients', 'block', clientId, '--data', deployment.dataDir]);
    assert.equal(finished.code, 0, finished.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // one poll of the change feed
    const { as, client, callback, redirectUri, verifier } = await flow(clientId);
    const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const tokens = await redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
      ...options,
      additionalParameters: { resource: mcpResource },
    });
    assert.ok(tokens.access_token, 'no outcome changed');
    const events = await deployment.gatehouse.store.audit.list({ type: 'governance.would_refuse', clientId });
    assert.ok(events.some((event) => event.reason === 'client_blocked'));
    assert.equal(
      (await deployment.gatehouse.store.audit.list({ type: 'client.refused', clientId })).length,
      0,
    );
  });

  it("a tier's scope ceiling narrows a document's wide scope: a document cannot widen what the operator allows", async () => {
    const clientId = `${host.origin('client.test')}/wide.json`;
    host.json('/wide.json', {
      client_id: clientId,
      client_name: 'Wide client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      scope: 'mcp:tools mcp:admin',
    });
    const wide = await flow(clientId, 'mcp:tools mcp:admin');
    assert.equal(wide.callback.searchParams.get('error'), 'invalid_scope');
    const { as, client, callback, redirectUri, verifier } = await flow(clientId, 'mcp:tools');
    const parameters = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const tokens = await redeemCode(as, client, oauth.None(), parameters, redirectUri, verifier, {
      ...options,
      additionalParameters: { resource: mcpResource },
    });
    assert.equal(tokens.scope, 'mcp:tools');
  });
});
