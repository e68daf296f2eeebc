import assert from 'node:assert/strict';
import { s256 } from '@gatehouse-oauth/core';
import { authorizeInBrowser } from '../../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../../test/support/user-agent.ts';
import { prepareStaticClient } from '../../src/clients/static-client.ts';
import { type AuthorizationServerOptions, createAuthorizationServer, createLogger } from '../../src/index.ts';
import { createMemoryStore } from '../../src/store/memory/memory-store.ts';
import { hashPassword } from '../../src/users/password.ts';

/**
 * An authorization server in process (no sockets): memory store, a clock the test moves, one user
 * and a few clients. Requests go through `server.fetch`, exactly as a mounting application's would.
 */
export const ISSUER = 'https://as.example.test';
export const RESOURCE = 'https://mcp.example.test/mcp';
export const OTHER_RESOURCE = 'https://api.example.test';
export const APP_REDIRECT = 'https://app.example.test/callback';
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';
export const SECRET = 'a-test-client-secret-that-is-long-enough-0123456789';
export const PASSWORD = 'correct horse battery staple';
/** The client_id introspection allows by default; addResourceServer() with no argument adds it. */
export const RESOURCE_SERVER = 'rs';
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy';

/** What the server noted about a request: the `error`, `reason` and `client_id` of its request log line. */
export interface RequestOutcome {
  error?: string;
  reason?: string;
  clientId?: string;
}

export async function createTestServer(overrides: Partial<AuthorizationServerOptions> = {}) {
  let now = Date.UTC(2026, 10, 23, 12, 0, 0);
  // A test may bring its own store (the SQLite write probe); the fixtures below are seeded into it.
  const store = overrides.store ?? createMemoryStore();
  // The request log line carries the outcome (error and stable reason) of every request, so a test
  // can tell a refusal's reason through the public logger option. Only without a logger override.
  const outcomes: (RequestOutcome | undefined)[] = [];
  const outcomeLogger = createLogger({
    level: 'info',
    destination: {
      write(line: string) {
        const entry = JSON.parse(line) as {
          msg?: string;
          error?: string;
          reason?: string;
          client_id?: string;
        };
        if (entry.msg !== 'request') return;
        const { error, reason, client_id: clientId } = entry;
        outcomes.push(
          error === undefined && clientId === undefined
            ? undefined
            : {
                ...(error === undefined ? {} : { error, reason }),
                ...(clientId === undefined ? {} : { clientId }),
              },
        );
      },
    },
  });
  const server = createAuthorizationServer({
    issuer: ISSUER,
    store,
    clock: () => now,
    logger: outcomeLogger,
    resources: [
      {
        uri: RESOURCE,
        scopes: ['mcp:tools', 'mcp:admin'],
        defaultScopes: ['mcp:tools'],
        name: 'Example MCP',
      },
      { uri: OTHER_RESOURCE, scopes: ['api:read'] },
    ],
    // The resource server addResourceServer() adds by default (RFC 7662 §2.1, decision 0029).
    introspection: { clients: [RESOURCE_SERVER] },
    ...overrides,
  });
  await store.users.create({
    id: 'user-alice',
    username: 'alice',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: now,
  });
  const add = (metadata: Record<string, unknown>) =>
    store.clients.put(prepareStaticClient(metadata, now).record);
  await add({
    client_id: 'public-app',
    redirect_uris: [APP_REDIRECT, LOOPBACK_REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
  });
  await add({
    client_id: 'basic-app',
    client_secret: SECRET,
    redirect_uris: [APP_REDIRECT],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
  });
  await add({
    client_id: 'post-app',
    client_secret: SECRET,
    redirect_uris: [APP_REDIRECT],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
  });

  const send = (url: string, init: RequestInit = {}) => server.fetch(new Request(url, init));

  /** A form POST to an endpoint below the issuer (`/token`, `/revoke`, `/introspect`). */
  function post(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
    return send(`${ISSUER}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
  }

  /** Authorization request parameters with sane defaults; `undefined` in `params` removes one. */
  function authorizationParams(params: Record<string, string | undefined> = {}): Record<string, string> {
    const all: Record<string, string | undefined> = {
      client_id: 'public-app',
      redirect_uri: APP_REDIRECT,
      response_type: 'code',
      state: 'state-123',
      resource: RESOURCE,
      scope: 'mcp:tools',
      code_challenge: s256(VERIFIER),
      code_challenge_method: 'S256',
      ...params,
    };
    return Object.fromEntries(
      Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  /** The authorization URL for those parameters. */
  function authorizationUrl(params: Record<string, string | undefined> = {}): string {
    return `${ISSUER}/authorize?${new URLSearchParams(authorizationParams(params))}`;
  }

  /** Logs in as alice and allows; returns the URL the browser lands on at the client. */
  async function authorize(params: Record<string, string | undefined> = {}, ua = new UserAgent(send)) {
    return authorizeInBrowser(ua, authorizationUrl(params), ISSUER, {
      username: 'alice',
      password: PASSWORD,
    });
  }

  function token(params: Record<string, string>, headers: Record<string, string> = {}) {
    return send(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
  }

  /**
   * The authorization_code token request for the code in `callback` (public-app and APP_REDIRECT
   * unless `params` names others, VERIFIER), to pass to token().
   */
  function redeemParams(
    callback: URL,
    params: { client_id?: string | undefined; redirect_uri?: string | undefined } = {},
  ): Record<string, string> {
    return {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: params.redirect_uri ?? APP_REDIRECT,
      client_id: params.client_id ?? 'public-app',
      code_verifier: VERIFIER,
    };
  }

  /** A code for public-app, redeemed into tokens. */
  async function tokensFor(params: Record<string, string | undefined> = {}) {
    const response = await token(redeemParams(await authorize(params), params));
    return (await response.json()) as {
      access_token: string;
      refresh_token?: string;
      scope: string;
      expires_in: number;
    };
  }

  /** RFC 7591 registration: POSTs `body` as JSON to /register (a string is sent as is). */
  function register(
    body: unknown,
    headers: Record<string, string> = {},
    info: { remoteAddress?: string } = { remoteAddress: '192.0.2.1' },
  ) {
    return server.fetch(
      new Request(`${ISSUER}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
      info,
    );
  }

  /** RFC 7592: a call to a registration_client_uri with a registration access token. */
  function manage(
    uri: string,
    method: string,
    token: string | undefined,
    body?: unknown,
    info: { remoteAddress?: string } = { remoteAddress: '192.0.2.1' },
  ) {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return server.fetch(
      new Request(uri, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
      info,
    );
  }

  return {
    server,
    store,
    send,
    register,
    manage,
    authorizationParams,
    authorizationUrl,
    authorize,
    token,
    redeemParams,
    tokensFor,
    post,
    /** Pre-registers one more client (prepareStaticClient rules). */
    addClient: add,
    /**
     * Pre-registers a resource server: a client_secret_basic client with SECRET and no grant types,
     * so it can authenticate at introspection (RFC 7662 §2.1) but is issued no tokens itself. Only
     * RESOURCE_SERVER is allowed to introspect by default; another id needs `introspection` options.
     */
    addResourceServer: (clientId = RESOURCE_SERVER) =>
      add({
        client_id: clientId,
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
      }),
    userAgent: () => new UserAgent(send),
    /**
     * The outcome the server noted for the request it answered last (undefined for a success), from
     * its request log line. Throws when the test passed its own `logger`, or nothing was answered.
     */
    lastOutcome(): RequestOutcome | undefined {
      assert.ok(
        overrides.logger === undefined,
        'lastOutcome() needs the test server logger, not an override',
      );
      assert.ok(outcomes.length > 0, 'no request has been answered yet');
      return outcomes.at(-1);
    },
    /** The outcomes of every refused request so far, in the order they were answered. */
    outcomes(): RequestOutcome[] {
      assert.ok(overrides.logger === undefined, 'outcomes() needs the test server logger, not an override');
      return outcomes.filter((outcome): outcome is RequestOutcome => outcome?.reason !== undefined);
    },
    advance(ms: number) {
      now += ms;
    },
    now: () => now,
  };
}

export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return {
    authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`,
  };
}
