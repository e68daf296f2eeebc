/**
 * The stand of the login and consent browser tests (consent-*.test.ts): `gatehouse serve` over https
 * on loopback with a registered client and five users, the client's site and an unrelated attacker's
 * site on one test host, and a headless Chromium that trusts exactly the keys these servers present.
 * oauth4webapi plays the client; the helpers play the person in the browser. The state is exported as
 * live bindings, set by the hooks serveConsentStand() registers in the calling describe.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, beforeEach } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import {
  type ClientOptions,
  clientOptions,
  EXAMPLE_RESOURCES,
  newAuthorizationRequest,
  RESOURCE,
} from '../support/oauth-client.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { launchChromium, servedSpkiPin } from './chromium.ts';

/** Long on purpose: the consent page must show all of it, never a shortened form. */
export const CLIENT_ID = 'gatehouse-browser-test-client-5f0e9c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e';
export const CLIENT_NAME = 'Browser Test App';
export const PASSWORD = 'correct horse battery staple';

export let deployment: TestDeployment;
/** The client's site (redirect_uri) and, on the same server, an unrelated attacker's site. */
export let sites: TestHost;
export let browser: Browser;
export let as: oauth.AuthorizationServer;
export let options: ClientOptions;
export let client: oauth.Client;
export let clientAuth: oauth.ClientAuth;
export let appOrigin: string;
export let attackerOrigin: string;
export let redirectUri: string;
/** Every request that reached the client's or the attacker's site, as the server saw it. */
export const arrived: { method: string; url: string }[] = [];
export const userIds = new Map<string, string>();

/** Starts the stand before the calling describe's tests and stops it after; forgets what arrived before each test. */
export function serveConsentStand(): void {
  before(async () => {
    deployment = await startTestDeployment({ resources: EXAMPLE_RESOURCES });
    options = clientOptions(deployment);
    sites = await startTestHost(deployment.ca, ['app.example.test', 'attacker.test']);
    appOrigin = sites.origin('app.example.test');
    attackerOrigin = sites.origin('attacker.test');
    redirectUri = `${appOrigin}/callback`;
    const record = (request: IncomingMessage) =>
      arrived.push({ method: request.method ?? '', url: new URL(request.url ?? '/', appOrigin).href });
    sites.route('/callback', (request, response) => {
      record(request);
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>App</title><p>back');
    });
    sites.route('/stolen', (request, response) => {
      record(request);
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Stolen</title>');
    });

    const registered = await deployment.addClient({
      client_id: CLIENT_ID,
      client_name: CLIENT_NAME,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
    });
    client = { client_id: registered.clientId };
    clientAuth = oauth.ClientSecretBasic(registered.secret!);
    for (const name of ['alice', 'bob', 'carol', 'dave', 'eve']) {
      userIds.set(name, await deployment.addUser(name, PASSWORD));
    }
    as = await discover(deployment);

    // Trust exactly the two keys these servers present, and nothing else.
    browser = await launchChromium([
      await servedSpkiPin(deployment.issuer, deployment.ca.certPem),
      await servedSpkiPin(appOrigin, deployment.ca.certPem),
    ]);
  });

  beforeEach(() => {
    arrived.length = 0;
  });

  after(async () => {
    await browser?.close();
    await sites?.close();
    await deployment?.close();
  });
}

/** A fresh browser profile (no cookies), with a bound on how long any one step may hang. */
export async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  return context;
}

/** The client's side of the request (PKCE, resource, state), as oauth4webapi builds it. */
export function authorizationRequest(overrides: Record<string, string> = {}) {
  return newAuthorizationRequest(as, {
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'mcp:tools mcp:admin',
    resource: RESOURCE,
    ...overrides,
  });
}

/** Opens the authorization URL, signs in through the login form, and stops on the consent page. */
export async function signInToConsent(page: Page, url: URL, username: string): Promise<void> {
  const response = await page.goto(url.href);
  assert.equal(response?.status(), 200);
  await page.getByRole('heading', { name: /^Sign in to / }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  assert.match(page.url(), new RegExp(`^${escapeRegExp(deployment.issuer)}/interaction/[^/]+$`));
}

/** Presses a consent button and waits until the browser has arrived at the client. */
export async function answer(page: Page, decision: 'Allow' | 'Deny'): Promise<URL> {
  await page.getByRole('button', { name: decision, exact: true }).click();
  await page.waitForURL((url) => url.origin === appOrigin);
  return new URL(page.url());
}

export const arrivedAt = (origin: string) =>
  arrived.filter((request) => request.url.startsWith(`${origin}/`));

/** The text of an element as a reader sees it: whitespace collapsed. */
export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
