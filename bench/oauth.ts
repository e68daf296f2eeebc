import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import { Browser } from './browser.ts';
import { RESOURCE, SCOPE } from './common.ts';
import { type Connection, connect, expectStatus, type HttpResponse, header } from './driver.ts';

/**
 * The client side of the measured flows, written against the RFCs rather than either server:
 * PAR (RFC 9126), PKCE S256 (RFC 7636), the code and refresh grants (RFC 6749), DPoP proofs made
 * per request with the server's nonce when it asks for one (RFC 9449 §4, §8).
 */

export interface Target {
  /** `gatehouse-sqlite`, `gatehouse-memory`, `oidc-provider`. */
  name: string;
  kind: 'gatehouse' | 'peer';
  /** http://127.0.0.1:<port>: where the driver connects. */
  origin: string;
  /** localhost:<port>: the issuer's authority, sent as Host. */
  hostHeader: string;
  issuer: string;
  paths: { par: string; authorize: string; token: string; metadata: string };
}

export function connectTo(target: Target): Connection {
  return connect(target.origin, target.hostHeader);
}

/** Reads the server's own metadata document for its endpoint paths. */
export async function discover(base: Omit<Target, 'paths'>, metadataPath: string): Promise<Target> {
  const connection = connect(base.origin, base.hostHeader);
  try {
    const response = expectStatus(await connection.send('GET', metadataPath), 200);
    const metadata = JSON.parse(response.body) as Record<string, string>;
    const path = (url: string | undefined) => {
      if (url === undefined) throw new Error(`${base.name}: metadata lacks an endpoint`);
      return new URL(url).pathname;
    };
    return {
      ...base,
      paths: {
        par: path(metadata.pushed_authorization_request_endpoint),
        authorize: path(metadata.authorization_endpoint),
        token: path(metadata.token_endpoint),
        metadata: metadataPath,
      },
    };
  } finally {
    await connection.close();
  }
}

export interface BenchClient {
  clientId: string;
  redirectUri: string;
  /** client_secret_basic credentials; absent for a public client (`none`, client_id in the body). */
  secret?: string;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
}

function clientAuth(client: BenchClient, form: URLSearchParams): Record<string, string> {
  if (client.secret === undefined) {
    form.set('client_id', client.clientId);
    return {};
  }
  // RFC 6749 §2.3.1: form-urlencoded id and secret, then Basic.
  const credentials = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`;
  return { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** RFC 9126 §2: pushes an authorization request; returns the request_uri. */
export async function pushAuthorizationRequest(
  connection: Connection,
  target: Target,
  client: BenchClient,
  challenge: string,
): Promise<string> {
  // RFC 9126 §2.1 with RFC 6749 §4.1.1: client_id is an authorization request parameter, sent
  // even when the client also authenticates with HTTP Basic.
  const form = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: SCOPE,
    resource: RESOURCE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: base64url(randomBytes(12)),
  });
  const headers = clientAuth(client, form);
  const response = expectStatus(
    await connection.send('POST', target.paths.par, { headers, body: form.toString() }),
    201,
  );
  return (JSON.parse(response.body) as { request_uri: string }).request_uri;
}

/** A DPoP key (P-256) and the proofs made with it; remembers the server's latest nonce. */
export class DpopKey {
  private readonly privateKey: KeyObject;
  private readonly headerSegment: string;
  nonce: string | undefined;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    this.headerSegment = base64url(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }),
    );
  }

  /** RFC 9449 §4.2: a fresh proof for one request. */
  proof(method: string, url: string): string {
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      htm: method,
      htu: url,
      iat: Math.floor(Date.now() / 1000),
    };
    if (this.nonce !== undefined) claims.nonce = this.nonce;
    const input = `${this.headerSegment}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${base64url(signature)}`;
  }

  /** §8: every response may carry the next nonce. */
  observe(response: HttpResponse): void {
    const nonce = header(response, 'dpop-nonce');
    if (nonce !== undefined) this.nonce = nonce;
  }
}

export interface TokenResult {
  accessToken: string;
  refreshToken: string | undefined;
  tokenType: string;
  /** Requests that were answered use_dpop_nonce and sent again with the nonce. */
  nonceRetries: number;
}

/** POST to the token endpoint, with a DPoP proof when `dpop` is given (and one nonce retry, §8). */
export async function tokenRequest(
  connection: Connection,
  target: Target,
  client: BenchClient,
  parameters: Record<string, string>,
  dpop?: DpopKey,
): Promise<TokenResult> {
  const url = `${target.issuer}${target.paths.token}`;
  let nonceRetries = 0;
  for (;;) {
    const form = new URLSearchParams(parameters);
    const headers = clientAuth(client, form);
    if (dpop !== undefined) headers.dpop = dpop.proof('POST', url);
    const response = await connection.send('POST', target.paths.token, { headers, body: form.toString() });
    dpop?.observe(response);
    if (
      dpop !== undefined &&
      nonceRetries === 0 &&
      response.status === 400 &&
      response.body.includes('use_dpop_nonce')
    ) {
      nonceRetries++;
      continue;
    }
    expectStatus(response, 200);
    const body = JSON.parse(response.body) as {
      access_token: string;
      refresh_token?: string;
      token_type: string;
    };
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      tokenType: body.token_type,
      nonceRetries,
    };
  }
}

/**
 * One user's browser with a session and a consent for `client` on `target`: logs in and consents
 * once, through the server's own pages.
 */
export async function loggedInBrowser(
  connection: Connection,
  target: Target,
  client: BenchClient,
  login: { username: string; password: string },
): Promise<Browser> {
  const browser = new Browser(connection, target.issuer);
  const { challenge } = pkce();
  const requestUri = await pushAuthorizationRequest(connection, target, client, challenge);
  const query = new URLSearchParams({ client_id: client.clientId, request_uri: requestUri });
  const landed = await browser.authorize(`${target.paths.authorize}?${query}`, login);
  if (landed.searchParams.get('code') === null) throw new Error(`login: no code in ${landed.href}`);
  return browser;
}

/**
 * The full code flow for a browser that already has a session and a consent: PAR, the
 * authorization endpoint (and whatever same-origin redirects the server makes before it answers
 * the client), the code at the token endpoint. Returns the tokens and how many requests it took.
 */
export async function codeFlow(
  connection: Connection,
  browser: Browser,
  target: Target,
  client: BenchClient,
  dpop?: DpopKey,
): Promise<TokenResult & { requests: number }> {
  const { verifier, challenge } = pkce();
  const requestUri = await pushAuthorizationRequest(connection, target, client, challenge);
  let requests = 1;
  let url = `${target.issuer}${target.paths.authorize}?${new URLSearchParams({ client_id: client.clientId, request_uri: requestUri })}`;
  let code: string | null = null;
  for (let hops = 0; hops < 5 && code === null; hops++) {
    const response = await browser.request('GET', url);
    requests++;
    const location = header(response, 'location');
    if (response.status < 300 || response.status >= 400 || location === undefined) {
      throw new Error(`authorize: HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    }
    const next = new URL(location, url);
    if (next.href.startsWith(client.redirectUri)) {
      code = next.searchParams.get('code');
      if (code === null) throw new Error(`authorize: no code in ${next.href}`);
    } else url = next.href;
  }
  if (code === null) throw new Error('authorize: too many redirects');
  const tokens = await tokenRequest(
    connection,
    target,
    client,
    { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier },
    dpop,
  );
  return { ...tokens, requests: requests + 1 + tokens.nonceRetries };
}

export { type Connection, connect };
