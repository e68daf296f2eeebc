/**
 * The login and consent pages in a real headless Chromium, against `gatehouse serve` over https on
 * loopback. oauth4webapi plays the client (it builds the authorization request and redeems the
 * code); the browser plays the person: it types into the login form, reads the consent page and
 * presses its buttons, and keeps the cookies by the browser's own rules (Secure, HttpOnly, SameSite,
 * the `__Host-` prefix), which the form-submitting test user agent of the endpoint tests cannot.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext, Cookie, Locator, Page } from 'playwright-core';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import {
  type ClientOptions,
  clientOptions,
  EXAMPLE_RESOURCES,
  newAuthorizationRequest,
  RESOURCE,
  RESOURCE_NAME,
  redeemCode,
  validateBearerToken,
} from '../support/oauth-client.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { launchChromium, servedSpkiPin, skipWithoutChromium } from './chromium.ts';

/** Long on purpose: the consent page must show all of it, never a shortened form. */
const CLIENT_ID = 'gatehouse-browser-test-client-5f0e9c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e';
const CLIENT_NAME = 'Browser Test App';
const PASSWORD = 'correct horse battery staple';

describe('login and consent pages in headless Chromium', { skip: skipWithoutChromium() }, () => {
  let deployment: TestDeployment;
  /** The client's site (redirect_uri) and, on the same server, an unrelated attacker's site. */
  let sites: TestHost;
  let browser: Browser;
  let as: oauth.AuthorizationServer;
  let options: ClientOptions;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;
  let appOrigin: string;
  let attackerOrigin: string;
  let redirectUri: string;
  /** Every request that reached the client's or the attacker's site, as the server saw it. */
  const arrived: { method: string; url: string }[] = [];
  const userIds = new Map<string, string>();

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

  /** A fresh browser profile (no cookies), with a bound on how long any one step may hang. */
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    return context;
  }

  /** The client's side of the request (PKCE, resource, state), as oauth4webapi builds it. */
  function authorizationRequest(overrides: Record<string, string> = {}) {
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
  async function signInToConsent(page: Page, url: URL, username: string): Promise<void> {
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
  async function answer(page: Page, decision: 'Allow' | 'Deny'): Promise<URL> {
    await page.getByRole('button', { name: decision, exact: true }).click();
    await page.waitForURL((url) => url.origin === appOrigin);
    return new URL(page.url());
  }

  const arrivedAt = (origin: string) => arrived.filter((request) => request.url.startsWith(`${origin}/`));

  it('trusts only the pinned keys: another certificate from the same CA is still refused', async () => {
    // The pins are precise: certificate checking is on, not switched off.
    const unpinned = await startTestHost(deployment.ca, ['unpinned.test']);
    try {
      unpinned.route('/', (_request, response) => void response.writeHead(200).end('reached'));
      const page = await (await newContext()).newPage();
      await assert.rejects(page.goto(`${unpinned.origin('unpinned.test')}/`), /ERR_CERT_AUTHORITY_INVALID/);
      assert.equal(unpinned.hits('/'), 0);
    } finally {
      await unpinned.close();
    }
  });

  it('signs in, shows who is asking and for what, and on Allow sends the browser back with code, state and iss (MCP-14); the client redeems the code', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const { url, state, codeVerifier } = await authorizationRequest();
    const response = await page.goto(url.href);
    assert.equal(response?.status(), 200);
    // The login page names the client by its verified client_id.
    assert.match(await textOf(page.locator('main')), new RegExp(`to continue to ${CLIENT_ID}`));
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();

    // Consent: the verified client_id in full and first, the self-chosen name labelled as such,
    // the redirect host (MCP-15 / CIMD-UI-3), the resource and every scope asked for.
    const main = page.locator('main');
    const shownClientId = main.locator('code').first();
    assert.equal(await textOf(shownClientId), CLIENT_ID);
    assert.ok(await shownClientId.isVisible());
    const text = await textOf(main);
    assert.match(
      text,
      new RegExp(
        `^Allow access\\? The application ${CLIENT_ID} wants to use your account alice on Gatehouse \\(trusted\\)\\.`,
      ),
    );
    assert.match(text, new RegExp(`It calls itself “${CLIENT_NAME}” \\(its own claim, not verified\\)`));
    assert.match(text, new RegExp(`you will be sent to ${escapeRegExp(new URL(appOrigin).host)}\\.`));
    assert.match(text, new RegExp(RESOURCE_NAME));
    assert.deepEqual(await main.locator('li code').allTextContents(), ['mcp:tools', 'mcp:admin']);

    const callback = await answer(page, 'Allow');
    assert.equal(callback.origin + callback.pathname, redirectUri);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), deployment.issuer);
    assert.ok(callback.searchParams.get('code'));
    // RFC 9700 §4.12: a 303, so the browser arrives with a GET and re-posts nothing to the client.
    assert.deepEqual(
      arrivedAt(appOrigin).map((request) => request.method),
      ['GET'],
    );
    assert.equal(await textOf(page.locator('p')), 'back');

    // oauth4webapi checks state and iss (RFC 9207), then redeems the code with the PKCE verifier.
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await redeemCode(as, client, clientAuth, parameters, redirectUri, codeVerifier, {
      ...options,
      additionalParameters: { resource: RESOURCE },
    });
    assert.equal(tokens.scope, 'mcp:tools mcp:admin');
    const claims = await validateBearerToken(as, tokens.access_token, RESOURCE, options);
    assert.equal(claims.client_id, CLIENT_ID);
    assert.equal(claims.sub, userIds.get('alice'));
  });

  it('on Deny sends the browser back with error=access_denied, state and iss (MCP-14), and stores no grant', async () => {
    const page = await (await newContext()).newPage();
    const { url, state } = await authorizationRequest();
    await signInToConsent(page, url, 'bob');
    const callback = await answer(page, 'Deny');
    assert.equal(callback.origin + callback.pathname, redirectUri);
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), deployment.issuer);
    assert.equal(callback.searchParams.get('code'), null);
    assert.throws(
      () => oauth.validateAuthResponse(as, client, callback, state),
      (error) => error instanceof oauth.AuthorizationResponseError && error.error === 'access_denied',
    );
    assert.deepEqual(await deployment.gatehouse.store.grants.listByUser(userIds.get('bob')!), []);
  });

  it('keeps its cookies __Host- prefixed, Secure, HttpOnly and SameSite=Lax, out of reach of page scripts', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const { url } = await authorizationRequest();
    const issuerHost = new URL(deployment.issuer).hostname;
    const expected = (name: string) => ({
      name,
      domain: issuerHost, // host-only: no Domain attribute (the __Host- rule)
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
    });
    const pick = ({ name, domain, path, secure, httpOnly, sameSite }: Cookie) => ({
      name,
      domain,
      path,
      secure,
      httpOnly,
      sameSite,
    });

    // The authorization endpoint binds the request to this browser before anything else.
    await page.goto(url.href);
    const beforeLogin = await context.cookies();
    assert.deepEqual(beforeLogin.map(pick), [expected('__Host-gatehouse-binding')]);
    assert.equal(beforeLogin[0]!.expires, -1, 'the binding cookie lives only as long as the browser session');

    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    const afterLogin = await context.cookies();
    assert.deepEqual(
      afterLogin.map(pick).sort((a, b) => a.name.localeCompare(b.name)),
      [expected('__Host-gatehouse-binding'), expected('__Host-gatehouse-session')],
    );
    const session = afterLogin.find((cookie) => cookie.name === '__Host-gatehouse-session')!;
    assert.ok(session.expires > 0, 'the login session has a Max-Age');
    // HttpOnly, as the page itself sees it: no script on it can read either cookie.
    assert.equal(await page.evaluate(() => document.cookie), '');
    // None of them is ever sent to the client's site.
    assert.deepEqual(await context.cookies(appOrigin), []);
  });

  it('refuses forged consent: framed, cross-site, from another browser, and without the form token; nothing is stored (RFC 9700 §4.7)', async () => {
    const daveId = userIds.get('dave')!;
    const victim = await newContext();
    const victimPage = await victim.newPage();
    const { url, state } = await authorizationRequest();
    await signInToConsent(victimPage, url, 'dave');
    const interactionUrl = victimPage.url();
    const interactionId = interactionUrl.split('/').pop()!;
    const consentAction = `${interactionUrl}/consent`;
    assert.equal(await victimPage.locator('form').getAttribute('action'), consentAction);
    // The strongest attacker: one who somehow learned the form token too.
    const csrf = (await victimPage.locator('input[name="csrf"]').getAttribute('value'))!;
    assert.ok(csrf);
    const refusedAs = async (page: Page, description: RegExp) => {
      await page.getByRole('heading', { name: 'This sign-in request cannot continue' }).waitFor();
      assert.match(page.url(), new RegExp(`^${escapeRegExp(deployment.issuer)}/`));
      assert.match(await textOf(page.getByRole('alert')), description);
    };

    // 0. Another site frames the consent page, to overlay it and trick a click on Allow: the browser
    //    refuses to render it in a frame (X-Frame-Options: DENY, frame-ancestors 'none').
    sites.route('/frame', (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>Fun game</title><iframe src="${interactionUrl}"></iframe>`);
    });
    const framer = await victim.newPage();
    const blocked = framer.waitForEvent('requestfailed', (request) => request.url() === interactionUrl);
    await framer.goto(`${attackerOrigin}/frame`);
    assert.equal((await blocked).failure()?.errorText, 'net::ERR_BLOCKED_BY_RESPONSE');
    const framed = framer.frames().find((frame) => frame !== framer.mainFrame());
    assert.equal(await framed!.getByRole('button', { name: 'Allow' }).count(), 0);
    await framer.close();

    // 1. A page on another site auto-posts "Allow" in the victim's own, signed-in browser. SameSite=Lax
    //    keeps the cookies off a cross-site POST, so the request is not recognised as this browser's.
    sites.route('/forge', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Win a prize</title>
<form method="post" action="${consentAction}">
<input type="hidden" name="csrf" value="${csrf}">
<button type="submit" name="decision" value="allow">Claim</button>
</form>`);
    });
    const lure = await victim.newPage();
    await lure.goto(`${attackerOrigin}/forge`);
    assert.deepEqual(
      await submitForged(lure, 'Claim', consentAction),
      [],
      'SameSite=Lax: no cookie goes along',
    );
    await refusedAs(lure, /started in another browser/);

    // 2. The attacker's own browser: signed in as eve on her own request, she points her consent form
    //    at the victim's request, with the victim's token. Her cookies are not the victim's binding.
    const attackerPage = await (await newContext()).newPage();
    await signInToConsent(attackerPage, (await authorizationRequest()).url, 'eve');
    await attackerPage.locator('form').evaluate(
      (form, forged) => {
        (form as HTMLFormElement).action = forged.action;
        (form.querySelector('input[name="csrf"]') as HTMLInputElement).value = forged.csrf;
      },
      { action: consentAction, csrf },
    );
    const attackerCookies = await submitForged(attackerPage, 'Allow', consentAction);
    assert.deepEqual(attackerCookies.map(([name]) => name).sort(), [
      '__Host-gatehouse-binding',
      '__Host-gatehouse-session',
    ]);
    await refusedAs(attackerPage, /started in another browser/);

    // 3. In the victim's browser, with its cookies, but without the form token.
    await victimPage.locator('input[name="csrf"]').evaluate((input) => input.remove());
    const victimCookies = (await victim.cookies()).map(({ name, value }) => [name, value]);
    assert.deepEqual(
      (await submitForged(victimPage, 'Allow', consentAction)).sort(),
      victimCookies.sort(),
      "the victim's own cookies go along",
    );
    await refusedAs(victimPage, /the form has expired/);

    // Nothing was stored or sent: no grant, no consent, no code at the client, and the request is
    // still waiting for its own browser.
    const store = deployment.gatehouse.store;
    assert.deepEqual(await store.grants.listByUser(daveId), []);
    assert.deepEqual(await store.audit.list({ type: 'consent.granted', userId: daveId }), []);
    assert.deepEqual(arrivedAt(appOrigin), []);
    assert.ok(await store.authorizationRequests.get(interactionId, Date.now()));

    // ...and the victim can still answer it, once, from the real page.
    await victimPage.goto(interactionUrl);
    const callback = await answer(victimPage, 'Allow');
    assert.equal(callback.searchParams.get('state'), state);
    assert.ok(callback.searchParams.get('code'));
    assert.equal((await store.grants.listByUser(daveId)).length, 1);
  });

  it('shows its own error page for an unregistered redirect_uri and never goes there (MCP-13, RFC 6749 §4.1.2.1)', async () => {
    for (const unregistered of [
      `${attackerOrigin}/stolen`,
      `${redirectUri}/more`,
      `${redirectUri}?next=${encodeURIComponent(`${attackerOrigin}/stolen`)}`,
    ]) {
      const context = await newContext();
      const requested: string[] = [];
      context.on('request', (request) => requested.push(request.url()));
      const page = await context.newPage();
      const { url } = await authorizationRequest({ redirect_uri: unregistered });
      const response = await page.goto(url.href);
      assert.equal(response?.status(), 400, unregistered);
      assert.equal(page.url(), url.href, 'no redirect at all');
      await page.getByRole('heading', { name: 'This sign-in request cannot continue' }).waitFor();
      assert.match(await textOf(page.getByRole('alert')), /redirect_uri is not registered/);
      // No way onward from the page to anything the request named: no links, forms or refresh.
      assert.equal(await page.locator('a, form, meta[http-equiv]').count(), 0);
      assert.deepEqual(requested, [url.href], unregistered);
      assert.deepEqual(arrived, [], unregistered);
      await context.close();
    }
  });

  /**
   * Presses a button of a forged form that posts to `action` (where the server answers with its own
   * page), and returns the cookies the browser sent with that POST, as [name, value] pairs.
   */
  async function submitForged(page: Page, button: string, action: string): Promise<string[][]> {
    const sent = page.waitForRequest((request) => request.url() === action && request.method() === 'POST');
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.waitForURL(action);
    const header = (await (await sent).allHeaders()).cookie;
    return header === undefined
      ? []
      : header
          .split('; ')
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]);
  }
});

/** The text of an element as a reader sees it: whitespace collapsed. */
async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
