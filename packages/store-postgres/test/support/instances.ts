/**
 * Several Gatehouse instances in one process, as a load balancer would see them: each its own
 * `createAuthorizationServer` with its OWN PostgreSQL pool (`openPostgresStore`), all on the same
 * schema and the same issuer. Nothing else is shared but a clock the test moves and a log sink, so
 * whatever one instance knows that another does not can only have come through the database.
 * Requests go through `server.fetch`, as in packages/server/test/support/test-server.ts.
 */
import { Writable } from 'node:stream';
import { s256 } from '@gatehouse-oauth/core';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  createLogger,
  hashPassword,
  prepareStaticClient,
  type Store,
} from '@gatehouse-oauth/server';
import { authorizeInBrowser } from '../../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../../test/support/user-agent.ts';
import { openPostgresStore } from '../../src/index.ts';

export const ISSUER = 'https://as.example.test';
export const RESOURCE = 'https://mcp.example.test/mcp';
export const REDIRECT = 'https://app.example.test/callback';
export const CLIENT_ID = 'public-app';
export const PASSWORD = 'correct horse battery staple';
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy';

export interface Instance {
  server: AuthorizationServer;
  store: Store;
  /** A form POST to /token on this instance. */
  token(params: Record<string, string>): Promise<Response>;
  send(url: string, init?: RequestInit): Promise<Response>;
}

export interface Cluster {
  instances: Instance[];
  now(): number;
  advance(ms: number): void;
  /** Every JSON log line any instance wrote at warn level or above. */
  logs: Array<Record<string, unknown>>;
  /** The authorization URL of public-app, PKCE with VERIFIER. */
  authorizationUrl(): URL;
  /** Logs in as alice and consents through instance `via`; returns a fresh authorization code. */
  authorizationCode(via?: number): Promise<string>;
  /** The authorization_code token request parameters for `code`. */
  redeemParams(code: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startCluster(options: {
  connectionString: string;
  schema: string;
  count: number;
  poolSize?: number;
  connectionTimeoutMillis?: number;
  server?: Partial<AuthorizationServerOptions>;
  /**
   * Each instance's own clock, which its store corrects to the database's: given, the servers get no
   * test clock and run on their store's (Store.clock, decision 0036); `now` and `advance` then mean
   * nothing.
   */
  localClocks?: readonly (() => number)[];
  /** Wraps each instance's store before its server gets it (to inject a fault). */
  wrapStore?: (store: Store, index: number) => Store;
}): Promise<Cluster> {
  let now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const clock = () => now;
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'warn', destination: sink });

  // Opened one after the other only for the seeding below; the migration itself is safe to race.
  const stores: Store[] = [];
  for (let index = 0; index < options.count; index++) {
    stores.push(
      await openPostgresStore({
        connectionString: options.connectionString,
        schema: options.schema,
        poolSize: options.poolSize ?? 10,
        ...(options.connectionTimeoutMillis === undefined
          ? {}
          : { connectionTimeoutMillis: options.connectionTimeoutMillis }),
        // A broken idle connection (PostgreSQL restarted) is replaced by the pool; nothing to do.
        onConnectionError: () => {},
        ...(options.localClocks?.[index] === undefined ? {} : { localClock: options.localClocks[index] }),
      }),
    );
  }
  const [seed] = stores as [Store, ...Store[]];
  if ((await seed.users.findByUsername('alice')) === undefined) {
    await seed.users.create({
      id: 'user-alice',
      username: 'alice',
      passwordHash: await hashPassword(PASSWORD),
      createdAt: now,
    });
    await seed.clients.put(
      prepareStaticClient(
        {
          client_id: CLIENT_ID,
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
        },
        now,
      ).record,
    );
  }

  const instances = stores.map((opened, index): Instance => {
    const store = options.wrapStore?.(opened, index) ?? opened;
    const server = createAuthorizationServer({
      issuer: ISSUER,
      store,
      ...(options.localClocks === undefined ? { clock } : {}),
      logger,
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'], defaultScopes: ['mcp:tools'] }],
      ...options.server,
    });
    const send = (url: string, init: RequestInit = {}) => server.fetch(new Request(url, init));
    return {
      server,
      store,
      send,
      token: (params) =>
        send(`${ISSUER}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params).toString(),
        }),
    };
  });

  const browsers: UserAgent[] = [];
  function authorizationUrl(): URL {
    const url = new URL(`${ISSUER}/authorize`);
    for (const [name, value] of Object.entries({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      response_type: 'code',
      state: 'state-1',
      resource: RESOURCE,
      scope: 'mcp:tools',
      code_challenge: s256(VERIFIER),
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(name, value);
    return url;
  }
  return {
    instances,
    now: clock,
    advance(ms) {
      now += ms;
    },
    logs,
    authorizationUrl,
    async authorizationCode(via = 0) {
      // One browser per instance: after the first login and consent, the next code is one redirect.
      const ua = browsers[via] ?? new UserAgent(instances[via]!.send);
      browsers[via] = ua;
      const callback = await authorizeInBrowser(ua, authorizationUrl(), ISSUER, {
        username: 'alice',
        password: PASSWORD,
      });
      const code = callback.searchParams.get('code');
      if (code === null) throw new Error(`no code in ${callback.href}`);
      return code;
    },
    redeemParams: (code) => ({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: CLIENT_ID,
      code_verifier: VERIFIER,
    }),
    async close() {
      await Promise.all(stores.map((store) => store.close()));
    },
  };
}
