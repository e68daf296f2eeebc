/**
 * The stack of the MCP end-to-end tests (test/e2e/mcp-*.test.ts, issue #7): the example MCP server
 * (examples/mcp-server) on `https://mcp.test:<port>/mcp`, `gatehouse serve` with the MCP profile, a
 * client host over TLS on loopback; the MCP SDK v1 and v2 clients as MCP hosts run them, and the steps
 * of a session (sign-in in the browser, a forced refresh, a step-up, reconnecting without a refresh
 * token).
 */

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  Client as ClientV2,
  type DpopSession,
  StreamableHTTPClientTransport as TransportV2,
  UnauthorizedError as UnauthorizedV2,
} from '@modelcontextprotocol/client';
import { UnauthorizedError as UnauthorizedV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { createMcpExample, type McpExample } from '../../examples/mcp-server/mcp-server.ts';
import { authorizeInBrowser } from './authorize-in-browser.ts';
import { startTestDeployment, type TestDeployment, type TestFetch } from './gatehouse-over-tls.ts';
import { InMemoryClientProvider } from './mcp-client-provider.ts';
import { LOGIN } from './mcp-stand-in.ts';
import { startTestHost, type TestHost } from './test-hosts.ts';
import { createTestCa } from './test-pki.ts';
import { isPage, type UserAgent } from './user-agent.ts';

export interface Stack {
  deployment: TestDeployment;
  /** `https://mcp.test:<port>/mcp`: the MCP server's URL and resource identifier. */
  resource: string;
  example: McpExample;
  /** The clients' fetch: trusts the test CA; counts refreshes and then sets the RS clock back. */
  fetch: TestFetch;
  refreshes(): number;
  /** Moves the resource server's clock to `at` (epoch ms) until the next refresh. */
  expireTokensAt(at: number): void;
  clientHost: TestHost | undefined;
  close(): Promise<void>;
}

export async function startStack(options: { cimd: boolean }): Promise<Stack> {
  const ca = await createTestCa('Gatehouse MCP example e2e CA');
  const clientHost = options.cimd ? await startTestHost(ca, ['client.test']) : undefined;
  const mcpCert = await ca.issue(['mcp.test']);
  const https: Server = createServer({ cert: mcpCert.cert, key: mcpCert.key });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const resource = `https://mcp.test:${(https.address() as AddressInfo).port}/mcp`;
  // What examples/mcp-server/gatehouse.json configures, with this run's resource URL.
  const deployment = await startTestDeployment(
    {
      profile: 'mcp',
      resources: [
        {
          uri: resource,
          name: 'Gatehouse example MCP server',
          scopes: ['mcp:tools', 'notes:write'],
          default_scopes: ['mcp:tools'],
        },
      ],
      ...(options.cimd ? {} : { cimd: { enabled: false } }),
    },
    options.cimd ? { ca, testHosts: ['client.test'] } : { ca },
  );
  await deployment.addUser(LOGIN.username, LOGIN.password);

  let rsClock: number | undefined;
  let refreshes = 0;
  const example = createMcpExample({
    issuer: deployment.issuer,
    resource,
    fetch: deployment.fetch as typeof fetch,
    now: () => rsClock ?? Date.now(),
  });
  https.on('request', example.app);
  const tokenEndpoint = `${deployment.issuer}/token`;
  const observed: TestFetch = async (url, init) => {
    if (String(url) === tokenEndpoint && String(init?.body ?? '').includes('grant_type=refresh_token')) {
      refreshes += 1;
      rsClock = undefined;
    }
    return deployment.fetch(url, init);
  };
  return {
    deployment,
    resource,
    example,
    fetch: observed,
    refreshes: () => refreshes,
    expireTokensAt(at) {
      rsClock = at;
    },
    clientHost,
    async close() {
      await new Promise<void>((resolve) => {
        https.close(() => resolve());
        https.closeAllConnections();
      });
      await deployment.close();
      await clientHost?.close();
    },
  };
}

/** An MCP host's token storage, with what an app does when it must re-authorize itself (SDK v1). */
export class HostProvider extends InMemoryClientProvider {
  private held:
    | { access_token: string; refresh_token?: string; token_type: string; scope?: string }
    | undefined;
  private session: DpopSession | undefined;

  constructor(options: { redirectUrl: string; clientMetadataUrl?: string; dpop?: DpopSession }) {
    super(options);
    this.session = options.dpop;
  }
  override tokens() {
    return this.held;
  }
  override saveTokens(tokens: { access_token: string; refresh_token?: string; token_type: string }) {
    this.held = tokens;
  }
  /** RFC 9449 for SDK v2: proofs at the token endpoint and at the MCP server. */
  dpop() {
    return this.session;
  }
  forgetRefreshToken() {
    if (this.held === undefined) return;
    const { refresh_token: _, ...rest } = this.held;
    this.held = rest;
  }
}

export function withoutOfflineAccess(scope: string | null | readonly string[]): string[] {
  const list = typeof scope === 'string' ? scope.split(' ') : [...(scope ?? [])];
  return list.filter((value) => value !== 'offline_access').sort();
}

export interface ToolResult {
  content: { type: string; text?: string }[];
  isError?: boolean;
}
export interface McpClient {
  connect(transport: unknown): Promise<void>;
  callTool(request: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}
export interface McpTransport {
  finishAuth(code: string, iss?: string): Promise<void>;
}
export interface Sdk {
  name: string;
  open(provider: HostProvider, stack: Stack): { client: McpClient; transport: McpTransport };
  isUnauthorized(error: unknown): boolean;
}

/** What both SDKs' transports take: the host's token storage, and the stack's fetch. */
export function transportOptions(provider: HostProvider, stack: Stack) {
  return { authProvider: provider as never, fetch: stack.fetch as never };
}

export const v1: Sdk = {
  name: 'MCP SDK v1 (@modelcontextprotocol/sdk)',
  open: (provider, stack) => ({
    client: new ClientV1({ name: 'e2e-v1', version: '1.0.0' }) as never,
    transport: new TransportV1(new URL(stack.resource), transportOptions(provider, stack)),
  }),
  isUnauthorized: (error) => error instanceof UnauthorizedV1,
};

export const v2: Sdk = {
  name: 'MCP SDK v2 (@modelcontextprotocol/client) with DPoP',
  open: (provider, stack) => ({
    client: new ClientV2({ name: 'e2e-v2', version: '2.0.0' }) as never,
    transport: new TransportV2(new URL(stack.resource), transportOptions(provider, stack)),
  }),
  isUnauthorized: (error) => error instanceof UnauthorizedV2,
};

export async function call(client: McpClient, name: string, args?: Record<string, unknown>): Promise<string> {
  const result = (await client.callTool({
    name,
    ...(args === undefined ? {} : { arguments: args }),
  })) as ToolResult;
  assert.notEqual(result.isError, true, JSON.stringify(result));
  return result.content[0]?.text ?? '';
}

/**
 * The browser part of an authorization the SDK started (provider.authorization.url), then the code
 * handed back to the transport, as an MCP host's redirect handler does.
 */
export async function completeInBrowser(
  ua: UserAgent,
  stack: Stack,
  provider: HostProvider,
  transport: McpTransport,
) {
  const callback = await authorizeInBrowser(ua, provider.authorization.url!, stack.deployment.issuer, LOGIN);
  assert.equal(callback.searchParams.get('iss'), stack.deployment.issuer, 'MCP-14');
  await transport.finishAuth(callback.searchParams.get('code')!, callback.searchParams.get('iss')!);
}

/** Connect: 401 → discovery → registration or CIMD → browser → code → connected client. */
export async function signIn(
  sdk: Sdk,
  stack: Stack,
  provider: HostProvider,
  ua: UserAgent,
): Promise<{ client: McpClient; transport: McpTransport }> {
  const first = sdk.open(provider, stack);
  await assert.rejects(first.client.connect(first.transport), (error) => sdk.isUnauthorized(error));
  const url = provider.authorization.url!;
  assert.equal(url.searchParams.get('resource'), stack.resource, 'MCP-9: the resource from the metadata');
  // The scope of the 401 challenge; SDK v2 adds offline_access because Gatehouse lists it (MCP-17).
  assert.deepEqual(withoutOfflineAccess(url.searchParams.get('scope')), ['mcp:tools']);
  await completeInBrowser(ua, stack, provider, first.transport);
  const second = sdk.open(provider, stack);
  await second.client.connect(second.transport);
  return second;
}

/** The access token's expiry, and the RS clock moved past it (beyond the RS's 30 s leeway). */
export async function forceRefresh(stack: Stack, provider: HostProvider, client: McpClient) {
  const before = provider.tokens()!;
  const refreshes = stack.refreshes();
  stack.expireTokensAt(((decodeJwt(before.access_token).exp as number) + 120) * 1000);
  const who = JSON.parse(await call(client, 'whoami')) as { scopes: string[] };
  assert.equal(stack.refreshes(), refreshes + 1, 'the client refreshed once');
  assert.notEqual(provider.tokens()!.access_token, before.access_token);
  assert.notEqual(provider.tokens()!.refresh_token, before.refresh_token, 'MCP-11: rotated');
  assert.deepEqual(withoutOfflineAccess(who.scopes), ['mcp:tools']);
}

/** The consent page of a step-up shows the new scope as new (the user is still signed in). */
export async function allowStepUp(
  ua: UserAgent,
  stack: Stack,
  provider: HostProvider,
  transport: McpTransport,
) {
  const url = provider.authorization.url!;
  assert.deepEqual(withoutOfflineAccess(url.searchParams.get('scope')), ['mcp:tools', 'notes:write']);
  const issuer = stack.deployment.issuer;
  const consent = await ua.navigate(url.href, (location) => !location.startsWith(`${issuer}/`));
  assert.ok(isPage(consent), 'asked again');
  assert.match(consent.html, /<code>notes:write<\/code> <strong>\(new\)<\/strong>/);
  assert.match(consent.html, /<code>mcp:tools<\/code> <span class="muted">\(already allowed\)<\/span>/);
  const done = await ua.submit(consent, {}, (location) => !location.startsWith(`${issuer}/`), 'allow');
  assert.ok(!isPage(done));
  const callback = new URL(done.redirectedTo);
  await transport.finishAuth(callback.searchParams.get('code')!, callback.searchParams.get('iss')!);
}

/** Step-up (MCP-16): add_note needs notes:write, so it is refused, the user allows it, it succeeds. */
export async function addNoteAfterStepUp(
  sdk: Sdk,
  ua: UserAgent,
  stack: Stack,
  provider: HostProvider,
  connection: { client: McpClient; transport: McpTransport },
  text: string,
) {
  await assert.rejects(call(connection.client, 'add_note', { text }), (error) => sdk.isUnauthorized(error));
  await allowStepUp(ua, stack, provider, connection.transport);
  assert.match(await call(connection.client, 'add_note', { text }), /saved; you have \d+ note/);
}

/**
 * What a v1 host does to step up, as SDK v1 never re-authorizes while it holds a refresh token
 * (modelcontextprotocol/typescript-sdk#2255): drop the refresh token and connect again, so that the
 * SDK authorizes again with the scopes of the challenge.
 */
export async function reconnectWithoutRefreshToken(stack: Stack, provider: HostProvider) {
  provider.forgetRefreshToken();
  const again = v1.open(provider, stack);
  await again.client.connect(again.transport);
  return again;
}
