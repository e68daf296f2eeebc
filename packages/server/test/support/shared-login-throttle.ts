/**
 * Decision 0030: the login throttle holds across instances. Run against two (or more) instances
 * sharing one store's database (one SQLite file: login-throttling-shared.test.ts; one PostgreSQL
 * schema: store-postgres/test/login-throttle-multi-instance.test.ts). Whatever one instance counts,
 * the others see; attempts spread over them are throttled at the configured limit in total.
 */
import assert from 'node:assert/strict';
import { s256 } from '@gatehouse-oauth/core';
import { isPage, UserAgent } from '../../../../test/support/user-agent.ts';
import type { Store } from '../../src/store/store.ts';

export interface LoginCluster {
  issuer: string;
  /** Each instance's entry point, with the transport's remote address (RequestInfo). */
  servers: readonly { fetch(request: Request, info?: { remoteAddress?: string }): Promise<Response> }[];
  /** One of the instances' stores: they share one database, so its audit holds every instance's. */
  store: Store;
  /** The public client, its redirect and a resource it may ask for (PKCE S256). */
  clientId: string;
  redirectUri: string;
  resource: string;
  advance(ms: number): void;
}

const MINUTE = 60_000;
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy';

/**
 * One sign-in attempt through instance `via`, from `remoteAddress`, in a fresh browser: the
 * authorization request, its login page, the form submitted. True when it signed in.
 */
export async function tryPassword(
  cluster: LoginCluster,
  via: number,
  login: { username: string; password: string; remoteAddress: string },
): Promise<boolean> {
  const server = cluster.servers[via % cluster.servers.length]!;
  const ua = new UserAgent((url, init) =>
    server.fetch(new Request(url, init), { remoteAddress: login.remoteAddress }),
  );
  const atClient = (location: string) => !location.startsWith(`${cluster.issuer}/`);
  const url = `${cluster.issuer}/authorize?${new URLSearchParams({
    client_id: cluster.clientId,
    redirect_uri: cluster.redirectUri,
    response_type: 'code',
    state: 'state-1',
    resource: cluster.resource,
    code_challenge: s256(VERIFIER),
    code_challenge_method: 'S256',
  })}`;
  const page = await ua.navigate(url, atClient);
  assert.ok(isPage(page), 'the login page');
  const next = await ua.submit(page, { username: login.username, password: login.password }, atClient);
  if (!isPage(next)) return true; // consent remembered: sent straight on to the client
  if (next.status === 200 && !/name="password"/.test(next.html)) return true; // the consent page
  assert.equal(next.status, 401, 'a refused sign-in is the wrong-password page');
  return false;
}

const failures = async (store: Store) => (await store.audit.list({ type: 'login.failed' })).length;

/**
 * The scenarios, in order, on a fresh cluster with the account `username` (password `password`)
 * and the default limits (5 per account, 20 per source, per 15 minutes).
 */
export async function assertThrottleSharedAcrossInstances(
  cluster: LoginCluster,
  account: { username: string; password: string },
): Promise<void> {
  const { store } = cluster;
  const n = cluster.servers.length;
  const wrong = (via: number, remoteAddress: string) =>
    tryPassword(cluster, via, { username: account.username, password: `wrong-${via}`, remoteAddress });
  const right = (via: number, remoteAddress: string) =>
    tryPassword(cluster, via, { ...account, remoteAddress });

  // 1. Five wrong passwords spread over the instances (each from its own address, so only the
  // account counts): the sixth attempt is refused whichever instance gets it, right password or
  // not, and reaches no authenticator.
  for (let i = 0; i < 5; i++) assert.equal(await wrong(i, `198.51.100.${i + 1}`), false);
  assert.equal(await failures(store), 5);
  for (let via = 0; via < n; via++) {
    assert.equal(await right(via, `198.51.100.${via + 10}`), false, `instance ${via} refuses the 6th`);
  }
  assert.equal(await failures(store), 5, 'the refused attempts were not checked');
  const throttled = await store.audit.list({ type: 'login.throttled' });
  assert.ok(throttled.length >= 1 && throttled.length <= n, 'audited once per key, window and instance');
  assert.ok(throttled.every((event) => event.detail?.key_kind === 'account'));

  // The backoff, shared too: one more attempt 3 minutes later, on any instance. It succeeds and
  // resets the account everywhere.
  cluster.advance(3 * MINUTE);
  assert.equal(await right(n - 1, '198.51.100.20'), true);

  // 2. Parallel guesses spread over the instances cannot outrun the shared check: of 12 at once,
  // exactly 5 reach an authenticator.
  const parallel = await Promise.all(Array.from({ length: 12 }, (_, i) => wrong(i, `203.0.113.${i + 1}`)));
  assert.ok(parallel.every((signedIn) => !signedIn));
  assert.equal(await failures(store), 10);

  // 3. One source across account names (a password spray): 20 names spread over the instances,
  // then the 21st attempt from that address is refused on every instance.
  for (let i = 0; i < 20; i++) {
    const spray = { username: `sprayed-${i}`, password: 'Summer2026!', remoteAddress: '192.0.2.99' };
    assert.equal(await tryPassword(cluster, i, spray), false);
  }
  assert.equal(await failures(store), 30);
  for (let via = 0; via < n; via++) {
    const last = { username: `sprayed-last-${via}`, password: 'Summer2026!', remoteAddress: '192.0.2.99' };
    assert.equal(await tryPassword(cluster, via, last), false);
  }
  assert.equal(await failures(store), 30, 'the source is throttled on every instance');
}
