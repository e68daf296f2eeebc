import { startTestDeployment, type TestDeployment } from './gatehouse-over-tls.ts';
import { startTestHost, type TestHost } from './test-hosts.ts';
import { createTestCa } from './test-pki.ts';

export const LOGIN = { username: 'alice', password: 'correct horse battery staple' };

/**
 * Gatehouse over TLS protecting a stand-in MCP server at `https://mcp.test:<port>/mcp`, whose
 * RFC 9728 metadata names Gatehouse, with `alice` as a user. `hosts` are the `.test` names the
 * test host serves (mcp.test, and client.test where client documents live).
 */
export interface McpDeployment {
  host: TestHost;
  deployment: TestDeployment;
  mcpResource: string;
  close(): Promise<void>;
}

export async function startMcpDeployment(
  config: Record<string, unknown>,
  hosts: readonly string[],
  /** What the MCP resource offers (its first scope is the default). */
  scopes: readonly string[] = ['mcp:tools'],
): Promise<McpDeployment> {
  const ca = await createTestCa('Gatehouse MCP e2e CA');
  const host = await startTestHost(ca, hosts);
  const mcpResource = `${host.origin('mcp.test')}/mcp`;
  const fetchedHosts = hosts.filter((name) => name !== 'mcp.test');
  const deployment = await startTestDeployment(
    { resources: [{ uri: mcpResource, scopes, default_scopes: scopes.slice(0, 1) }], ...config },
    fetchedHosts.length === 0 ? { ca } : { ca, testHosts: fetchedHosts },
  );
  await deployment.addUser(LOGIN.username, LOGIN.password);
  host.json('/.well-known/oauth-protected-resource/mcp', {
    resource: mcpResource,
    authorization_servers: [deployment.issuer],
    scopes_supported: scopes,
  });
  return {
    host,
    deployment,
    mcpResource,
    async close() {
      await deployment.close();
      await host.close();
    },
  };
}

/** An authorization request URL: the endpoint with these parameters. */
export function authorizationUrl(endpoint: string, parameters: Record<string, string>): URL {
  const url = new URL(endpoint);
  url.search = new URLSearchParams(parameters).toString();
  return url;
}

type Auth = (provider: unknown, options: unknown) => Promise<string>;

/**
 * One step of an MCP SDK's `auth()` (v1 and v2 share it): without a callback it starts
 * authorization (and registers, where it must); with one it redeems the code, handing v2 the
 * callback's `iss` so it checks RFC 9207 itself.
 */
export function runMcpAuth(
  auth: unknown,
  provider: unknown,
  serverUrl: string,
  fetch: unknown,
  callback?: URL,
): Promise<string> {
  return (auth as Auth)(provider, {
    serverUrl,
    fetchFn: fetch,
    ...(callback === undefined
      ? {}
      : { authorizationCode: callback.searchParams.get('code')!, iss: callback.searchParams.get('iss')! }),
  });
}
