import { createHash, randomUUID } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { startTestHost, type TestHost, testLookup } from '../../../../test/support/test-hosts.ts';
import { createTestCa } from '../../../../test/support/test-pki.ts';
import { createResourceServer, type ResourceServer, type ResourceServerOptions } from '../../src/index.ts';

/**
 * A stand-in for Gatehouse's public face, over real TLS on 127.0.0.1 (`https://as.test:<port>`):
 * RFC 8414 metadata and a JWKS whose keys the test rotates. Tokens are minted exactly as
 * packages/server/src/tokens/access-token.ts does (ES256, typ at+jwt, kid, iss, sub, aud,
 * client_id, scope, auth_time, iat, exp, jti), plus `cnf.jkt` for DPoP-bound ones.
 */
export const RESOURCE = 'https://mcp.example/mcp';
export const START = Date.UTC(2026, 10, 23, 12, 0, 0);

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export interface Fixture {
  issuer: string;
  host: TestHost;
  /** The JWKS served now (the test edits it to rotate). */
  published: SigningKey[];
  key: SigningKey;
  fetch: typeof fetch;
  clock: { now: () => number; advance(ms: number): void };
  rs(options?: Partial<ResourceServerOptions>): ResourceServer;
  token(
    claims?: Record<string, unknown>,
    options?: { key?: SigningKey; header?: Record<string, unknown> },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const ca = await createTestCa('resource-server test CA');
  const host = await startTestHost(ca, ['as.test']);
  const issuer = host.origin('as.test');
  const key = await signingKey();
  const published: SigningKey[] = [key];
  host.json('/.well-known/oauth-authorization-server', {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    token_endpoint: `${issuer}/token`,
  });
  host.route('/jwks', (_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
  });
  const dispatcher = new Agent({ connect: { ca: ca.certPem, lookup: testLookup as never } });
  const testFetch = (async (url: string | URL | Request, init?: RequestInit) =>
    (await undiciFetch(
      url as string,
      { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1],
    )) as unknown as Response) as typeof fetch;
  let now = START;
  const clock = {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
  return {
    issuer,
    host,
    published,
    key,
    fetch: testFetch,
    clock,
    rs: (options = {}) =>
      createResourceServer({
        issuer,
        resource: RESOURCE,
        fetch: testFetch,
        now: clock.now,
        scopesSupported: ['mcp:tools', 'mcp:admin'],
        ...options,
      }),
    token: (claims = {}, options = {}) =>
      mintAccessToken(options.key ?? key, { iss: issuer, ...claims }, now, options.header),
    async close() {
      await dispatcher.close();
      await host.close();
    },
  };
}

/** An access token the way Gatehouse signs one; `claims` override (undefined removes a claim). */
export async function mintAccessToken(
  key: SigningKey,
  claims: Record<string, unknown>,
  now: number,
  header: Record<string, unknown> = {},
): Promise<string> {
  const iat = Math.floor(now / 1000);
  const all: Record<string, unknown> = {
    sub: 'user-alice',
    aud: RESOURCE,
    client_id: 'https://client.example/metadata.json',
    scope: 'mcp:tools',
    auth_time: iat - 60,
    iat,
    exp: iat + 300,
    jti: `family-1.${randomUUID()}`,
    ...claims,
  };
  const payload = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header } as never)
    .sign(key.privateKey);
}

/** A DPoP client key, and proofs made with it (RFC 9449 §4.2). */
export interface DpopKey {
  jkt: string;
  proof(options: {
    htm?: string;
    htu?: string;
    token?: string;
    iat?: number;
    jti?: string;
    nonce?: string;
    ath?: string;
  }): Promise<string>;
}

export async function dpopKey(clock: () => number): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    proof(options) {
      const payload: Record<string, unknown> = {
        htm: options.htm ?? 'POST',
        htu: options.htu ?? RESOURCE,
        iat: options.iat ?? Math.floor(clock() / 1000),
        jti: options.jti ?? randomUUID(),
      };
      const ath =
        options.ath ??
        (options.token === undefined
          ? undefined
          : createHash('sha256').update(options.token).digest('base64url'));
      if (ath !== undefined) payload.ath = ath;
      if (options.nonce !== undefined) payload.nonce = options.nonce;
      return new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey);
    },
  };
}

/** A request to the MCP endpoint with these headers. */
export function mcpRequest(headers: Record<string, string> = {}, url = RESOURCE, method = 'POST'): Request {
  return new Request(url, { method, headers });
}

/** The parameters of one challenge in a WWW-Authenticate value, by scheme (first one wins). */
export function challenges(header: string | null): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  if (header === null) return result;
  const pattern = /(Bearer|DPoP)(?= )|([a-z_]+)="([^"]*)"/g;
  let current: Record<string, string> | undefined;
  for (let match = pattern.exec(header); match !== null; match = pattern.exec(header)) {
    if (match[1] !== undefined) {
      current = {};
      result.set(match[1], current);
    } else if (current !== undefined && match[2] !== undefined) {
      current[match[2]] = match[3] ?? '';
    }
  }
  return result;
}
