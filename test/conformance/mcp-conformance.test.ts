/**
 * MCP conformance (issue #17 item 7, decision 0042). `@modelcontextprotocol/conformance` tests MCP
 * *clients* (its `auth/*` scenarios run the client under test against the suite's own mock
 * authorization server and check what the client sends) and MCP *servers* (tools, resources,
 * prompts, SSE, DNS rebinding, through an unauthenticated MCP client). No scenario of it tests an
 * authorization server, so none can be pointed at `gatehouse serve`. What this file does instead:
 *
 * 1. Runs the installed suite's own `list` and requires every scenario it has to be classified
 *    below, with why it does not apply: a version that adds an authorization-server scenario fails
 *    here until it is run against Gatehouse.
 * 2. Plays the authorization server's side of the two scenarios that exercise an authorization
 *    server feature Gatehouse offers, `auth/client-credentials-jwt` and
 *    `auth/client-credentials-basic` (SEP-1046): the MCP SDK's client credentials providers, the
 *    clients those scenarios are written for, obtain a token from `gatehouse serve --profile mcp`
 *    under the same contract the scenario's mock server enforces (client_credentials, a JWT
 *    assertion with `iss` = `sub` = client_id and `aud` = the issuer, ES256; or HTTP Basic), and
 *    call a tool of the example MCP server (examples/mcp-server) with it. Loopback only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { createTestCa } from '../support/test-pki.ts';

/**
 * Every scenario of the installed suite, and whether it applies to an authorization server. `as`:
 * played here from the authorization server's side (2. above); `client`: tests an MCP client's
 * behaviour against the suite's mock authorization server; `server`: tests an MCP server's
 * features through an unauthenticated client.
 */
const SCENARIOS: Record<string, 'as' | 'client' | 'server'> = {
  'auth/client-credentials-jwt': 'as',
  'auth/client-credentials-basic': 'as',
  ...Object.fromEntries(
    [
      'initialize',
      'tools_call',
      'elicitation-sep1034-client-defaults',
      'sse-retry',
      'auth/metadata-default',
      'auth/metadata-var1',
      'auth/metadata-var2',
      'auth/metadata-var3',
      'auth/basic-cimd',
      'auth/scope-from-www-authenticate',
      'auth/scope-from-scopes-supported',
      'auth/scope-omitted-when-undefined',
      'auth/scope-step-up',
      'auth/scope-retry-limit',
      'auth/token-endpoint-auth-basic',
      'auth/token-endpoint-auth-post',
      'auth/token-endpoint-auth-none',
      'auth/pre-registration',
      'auth/2025-03-26-oauth-metadata-backcompat',
      'auth/2025-03-26-oauth-endpoint-fallback',
      'auth/resource-mismatch',
      'auth/offline-access-scope',
      'auth/offline-access-not-supported',
      'auth/cross-app-access-complete-flow',
    ].map((name) => [name, 'client' as const]),
  ),
  ...Object.fromEntries(
    [
      'server-initialize',
      'logging-set-level',
      'ping',
      'completion-complete',
      'tools-list',
      'tools-call-simple-text',
      'tools-call-image',
      'tools-call-audio',
      'tools-call-embedded-resource',
      'tools-call-mixed-content',
      'tools-call-with-logging',
      'tools-call-error',
      'tools-call-with-progress',
      'tools-call-sampling',
      'tools-call-elicitation',
      'json-schema-2020-12',
      'elicitation-sep1034-defaults',
      'server-sse-polling',
      'server-sse-multiple-streams',
      'elicitation-sep1330-enums',
      'resources-list',
      'resources-read-text',
      'resources-read-binary',
      'resources-templates-read',
      'resources-subscribe',
      'resources-unsubscribe',
      'prompts-list',
      'prompts-get-simple',
      'prompts-get-with-args',
      'prompts-get-embedded-resource',
      'prompts-get-with-image',
      'dns-rebinding-protection',
    ].map((name) => [name, 'server' as const]),
  ),
};

/** The scenario names the installed suite lists (`conformance list`), run with this Node. */
async function listedScenarios(): Promise<string[]> {
  const cli = createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json');
  const { stdout } = await promisify(execFile)(process.execPath, [
    cli.replace(/package\.json$/, 'dist/index.js'),
    'list',
  ]);
  return [...stdout.matchAll(/^\s+- (\S+) \[/gm)].map((match) => match[1]!);
}

describe('MCP conformance suite: what applies to an authorization server', () => {
  it('every scenario of the installed suite is classified; none tests an authorization server', async () => {
    const listed = await listedScenarios();
    assert.ok(listed.length > 0, 'the suite lists its scenarios');
    const unclassified = listed.filter((name) => !Object.hasOwn(SCENARIOS, name));
    assert.deepEqual(
      unclassified,
      [],
      'new scenarios: classify them (decision 0042), and run any AS one here',
    );
    const gone = Object.keys(SCENARIOS).filter((name) => !listed.includes(name));
    assert.deepEqual(gone, [], 'scenarios no longer in the suite');
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
