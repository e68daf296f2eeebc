/**
 * What the AT Protocol end-to-end tests share: `@atproto/oauth-client-node` wired to the test
 * hosts (a fetch that trusts the test CA and dials only loopback, in-memory state and session
 * stores, the stand-in PLC directory on `plc.test`), and the DID document that names the PDS.
 */
import { type AddressInfo, createServer } from 'node:net';
import type { JoseKey } from '@atproto/jwk-jose';
import { NodeOAuthClient, type NodeSavedSession, type NodeSavedState } from '@atproto/oauth-client-node';
import { type Agent, fetch as undiciFetch } from 'undici';
import type { TestHost } from './test-hosts.ts';

/** A loopback port free right now, so the issuer can be written before the server starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A key-value store of the shape the atproto client asks for, in memory. */
function memoryStore<V>() {
  const values = new Map<string, V>();
  return {
    async get(key: string) {
      return values.get(key);
    },
    async set(key: string, value: V) {
      values.set(key, value);
    },
    async del(key: string) {
      values.delete(key);
    },
  };
}

/** A WHATWG fetch over `dispatcher` (the test CA, loopback only), as the atproto client wants one. */
export function fetchThrough(dispatcher: Agent): typeof globalThis.fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const response = await undiciFetch(request.url, {
      method: request.method,
      headers: [...request.headers],
      ...(hasBody ? { body: await request.arrayBuffer() } : {}),
      redirect: request.redirect,
      signal: request.signal,
      dispatcher,
    });
    const empty = [101, 204, 205, 304].includes(response.status);
    return new Response(empty ? null : await response.arrayBuffer(), {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
    });
  };
}

export function atprotoClient(
  host: TestHost,
  fetch: typeof globalThis.fetch,
  clientMetadata: ConstructorParameters<typeof NodeOAuthClient>[0]['clientMetadata'],
  keyset?: JoseKey[],
): NodeOAuthClient {
  return new NodeOAuthClient({
    clientMetadata,
    ...(keyset === undefined ? {} : { keyset }),
    stateStore: memoryStore<NodeSavedState>(),
    sessionStore: memoryStore<NodeSavedSession>(),
    fetch,
    plcDirectoryUrl: host.origin('plc.test'),
    // Handles are not part of these tests: the DID document has none to resolve.
    handleResolver: { resolve: async () => null },
    requestLock: async (_name, fn) => fn(),
  });
}

/**
 * The account's side of AT Protocol discovery: the PDS on `pds.test` names `issuer` as its one
 * authorization server (AT-13), and the stand-in PLC directory on `plc.test` serves `did`'s
 * document naming that PDS. Returns the PDS origin (the resource).
 */
export function publishAccount(host: TestHost, did: string, issuer: string): string {
  const pds = host.origin('pds.test');
  host.json('/.well-known/oauth-protected-resource', { resource: pds, authorization_servers: [issuer] });
  host.route(`/${encodeURIComponent(did)}`, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/did+ld+json' }).end(
      JSON.stringify({
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: did,
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
      }),
    );
  });
  return pds;
}

/**
 * The Client ID Metadata Document of a public AT Protocol web client on `host` (AT-4: DPoP-bound,
 * `none` auth, the scope it will ask for), with its document at `documentPath` and its redirect at
 * `callbackPath`.
 */
export function publicClientMetadata(
  host: TestHost,
  options: { documentPath: string; callbackPath: string; name: string; scope: string },
) {
  return {
    client_id: `${host.origin('client.test')}${options.documentPath}`,
    client_name: options.name,
    client_uri: host.origin('client.test'),
    redirect_uris: [`${host.origin('client.test')}${options.callbackPath}`] as [string],
    grant_types: ['authorization_code', 'refresh_token'] as ['authorization_code', 'refresh_token'],
    response_types: ['code'] as ['code'],
    scope: options.scope,
    token_endpoint_auth_method: 'none' as const,
    application_type: 'web' as const,
    dpop_bound_access_tokens: true as const,
  };
}
