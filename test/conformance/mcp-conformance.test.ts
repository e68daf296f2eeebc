/**
 * MCP conformance (issue #17 item 7, decision 0042), with `@modelcontextprotocol/conformance`
 * 0.2.0-alpha.12, the newest release. The suite has three kinds of scenario: MCP *clients* (its
 * `auth/*` ones run the client under test against the suite's own mock authorization server),
 * MCP *servers*, and, since 0.2.0, *authorization servers* (`conformance authorization`). This file:
 *
 * 1. Runs every authorization server scenario the installed suite lists against the server
 *    `gatehouse serve` runs, in the MCP profile, over TLS on loopback:
 *    `authorization-server-metadata-endpoint` (RFC 8414 metadata) and `authorization-code-grant`
 *    (the suite is the client: it prints the authorization URL, a browser signs in and allows, and
 *    the suite receives the code at its loopback callback and redeems it with PKCE and the
 *    resource). A suite that adds an authorization server scenario fails the first test until it
 *    is run here too.
 * 2. Plays the authorization server's side of the client scenarios that exercise a feature
 *    Gatehouse offers, `auth/client-credentials-jwt` and `auth/client-credentials-basic`
 *    (SEP-1046): the MCP SDK's client credentials providers, the clients those scenarios are
 *    written for, obtain a token from `gatehouse serve --profile mcp` under the same contract the
 *    scenario's mock server enforces (client_credentials, a JWT assertion with `iss` = `sub` =
 *    client_id and `aud` = the issuer, ES256; or HTTP Basic), and call a tool of the example MCP
 *    server (examples/mcp-server) with it. Loopback only.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  ClientCredentialsProvider,
  PrivateKeyJwtProvider,
} from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { createMcpExample } from '../../examples/mcp-server/mcp-server.ts';
import { authorizeInBrowser } from '../support/authorize-in-browser.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { createTestCa } from '../support/test-pki.ts';
import { UserAgent } from '../support/user-agent.ts';

/** The authorization server scenarios run below; the installed suite must list exactly these. */
const AUTHORIZATION_SERVER_SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant'];
/** Client scenarios whose authorization server side is played below. */
const PLAYED_CLIENT_SCENARIOS = ['auth/client-credentials-jwt', 'auth/client-credentials-basic'];

const CLI = createRequire(import.meta.url)
  .resolve('@modelcontextprotocol/conformance/package.json')
  .replace(/package\.json$/, 'dist/index.js');

/** The scenario names `conformance list [--authorization]` prints, run with this Node. */
async function listedScenarios(...flags: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'list', ...flags]);
  return [...stdout.matchAll(/^\s+- (\S+) \[/gm)].map((match) => match[1]!);
}

describe('MCP conformance suite: what applies to an authorization server', () => {
  it('every authorization server scenario of the installed suite is run here', async () => {
    assert.deepEqual(
      (await listedScenarios('--authorization')).sort(),
      [...AUTHORIZATION_SERVER_SCENARIOS].sort(),
    );
    const clientScenarios = await listedScenarios('--client');
    for (const name of PLAYED_CLIENT_SCENARIOS)
      assert.ok(clientScenarios.includes(name), `${name} is still listed`);
  });
});

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** The checks the suite wrote under `dir`, by the directory of each scenario run. */
function checksUnder(dir: string): Map<string, Check[]> {
  return new Map(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((path) => path.endsWith('checks.json'))
      .map((path) => [path, JSON.parse(readFileSync(join(dir, path), 'utf8')) as Check[]]),
  );
}

/** A free loopback port for the suite's OAuth callback server. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the authorization server scenarios against gatehouse serve (MCP profile)', () => {
  let deployment: TestDeployment;
  let caFile: string;
  const resource = 'https://mcp.test/mcp';

  before(async () => {
    const ca = await createTestCa('Gatehouse MCP conformance CA');
    caFile = join(mkdtempSync(join(tmpdir(), 'gatehouse-conformance-')), 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    deployment = await startTestDeployment(
      {
        profile: 'mcp',
        resources: [{ uri: resource, scopes: ['mcp:tools'], default_scopes: ['mcp:tools'] }],
      },
      { ca },
    );
  });

  after(() => deployment.close());

  /**
   * Runs `conformance authorization` (every authorization server scenario, in the suite's order:
   * the code grant reads the endpoints from the metadata scenario's result) against the
   * deployment. The child trusts the test CA and dials only loopback; `onLine` sees each line it
   * prints, as it prints it.
   */
  async function runSuite(
    args: string[],
    onLine: (line: string) => void,
  ): Promise<{ code: number | null; checks: Map<string, Check[]>; output: string }> {
    const out = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-results-'));
    const child = spawn(
      process.execPath,
      [CLI, 'authorization', '--url', deployment.issuer, '-o', out, ...args],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, checks: checksUnder(out), output };
  }

  it('every scenario passes: the metadata, then the code grant with the suite as the client and a browser signing in', async () => {
    await deployment.addUser('conformance-user', 'conformance password 1');
    const { clientId } = await deployment.addClient({
      client_id: 'conformance-code-client',
      // RFC 8252 §7.3: a loopback redirect registered without a port allows any port.
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const port = await freePort();
    let browsed: Promise<void> | undefined;
    const result = await runSuite(
      ['--client-id', clientId, '--resource', resource, '--port', String(port)],
      (line) => {
        if (browsed !== undefined || !line.startsWith(`${deployment.issuer}/`)) return;
        // The person at the browser: sign in, allow, and the browser follows the redirect to the
        // suite's callback on loopback.
        browsed = (async () => {
          const ua = new UserAgent(deployment.fetch);
          const callback = await authorizeInBrowser(ua, line.trim(), deployment.issuer, {
            username: 'conformance-user',
            password: 'conformance password 1',
          });
          assert.equal(callback.origin, `http://127.0.0.1:${port}`);
          await fetch(callback);
        })();
      },
    );
    assert.ok(browsed !== undefined, `the suite printed an authorization URL:\n${result.output}`);
    await browsed;
    // One result directory per scenario (`authorization-server-<scenario>-<time>/checks.json`).
    for (const scenario of AUTHORIZATION_SERVER_SCENARIOS) {
      const runs = [...result.checks].filter(([path]) =>
        path.startsWith(`authorization-server-${scenario}-`),
      );
      assert.equal(runs.length, 1, `${scenario} ran once:\n${result.output}`);
      assert.ok(runs[0]![1].length > 0, `${scenario} made its checks`);
    }
    const failed = [...result.checks.values()].flat().filter((check) => check.status !== 'SUCCESS');
    assert.deepEqual(failed, [], result.output);
    assert.equal(result.code, 0, result.output);
  });
});

describe('the authorization server side of auth/client-credentials-jwt and -basic', () => {
  let deployment: TestDeployment;
  let https: Server;
  let resource: string;

  before(async () => {
    const ca = await createTestCa('Gatehouse MCP conformance CA');
    const mcpCert = await ca.issue(['mcp.test']);
    https = createServer({ cert: mcpCert.cert, key: mcpCert.key });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    resource = `https://mcp.test:${(https.address() as AddressInfo).port}/mcp`;
    deployment = await startTestDeployment(
      {
        profile: 'mcp',
        resources: [{ uri: resource, scopes: ['mcp:tools'], default_scopes: ['mcp:tools'] }],
        // Pre-registered clients are trusted; the operator allows that tier the grant.
        governance: { tiers: { trusted: { client_credentials: true } } },
      },
      { ca },
    );
    const example = createMcpExample({
      issuer: deployment.issuer,
      resource,
      fetch: deployment.fetch as typeof fetch,
    });
    https.on('request', example.app);
  });

  after(async () => {
    await new Promise<void>((resolve) => {
      https.close(() => resolve());
      https.closeAllConnections();
    });
    await deployment.close();
  });

  /** The MCP SDK client with `provider` connects (401 → metadata → token) and lists the tools. */
  async function listTools(provider: OAuthClientProvider): Promise<string[]> {
    const client = new Client({ name: 'conformance-cc', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(resource), {
      authProvider: provider,
      fetch: deployment.fetch as typeof fetch,
    });
    await client.connect(transport);
    try {
      return (await client.listTools()).tools.map((tool) => tool.name);
    } finally {
      await client.close();
    }
  }

  it('auth/client-credentials-jwt: private_key_jwt (ES256, aud = issuer), then a tool list', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    await deployment.addClient({
      client_id: 'conformance-test-client',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] },
      grant_types: ['client_credentials'],
      response_types: [],
    });
    const provider = new PrivateKeyJwtProvider({
      clientId: 'conformance-test-client',
      privateKey: await exportPKCS8(privateKey),
      algorithm: 'ES256',
      expectedIssuer: deployment.issuer,
    });
    assert.ok((await listTools(provider)).length > 0);
    assert.equal(provider.tokens()?.refresh_token, undefined, 'no refresh token (RFC 6749 §4.4.3)');
  });

  it('auth/client-credentials-basic: client_secret_basic, then a tool list', async () => {
    const { clientId, secret } = await deployment.addClient({
      client_id: 'conformance-basic-client',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
    });
    const provider = new ClientCredentialsProvider({
      clientId,
      clientSecret: secret!,
      expectedIssuer: deployment.issuer,
    });
    assert.ok((await listTools(provider)).length > 0);
  });
});
