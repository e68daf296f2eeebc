/**
 * Connected apps in a real headless Chromium (issue #15 item 2, AT-14): one user connects one
 * client from two installations (two registered redirect URIs), opens /account, revokes one, and
 * only that installation's refresh fails while the other keeps refreshing. oauth4webapi plays the
 * client; the page is checked with axe-core at desktop and phone widths.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { discover } from '../support/discover.ts';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import {
  type ClientOptions,
  clientOptions,
  EXAMPLE_RESOURCES,
  newAuthorizationRequest,
  RESOURCE,
  redeemCode,
  refreshTokens,
} from '../support/oauth-client.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { launchChromium, servedSpkiPin, skipWithoutChromium } from './chromium.ts';
import { checkPageAtEveryWidth } from './page-checks.ts';

const CLIENT_ID = 'notes-app-installed-on-two-machines';
const PASSWORD = 'correct horse battery staple';

describe('connected apps page in headless Chromium', { skip: skipWithoutChromium() }, () => {
  let deployment: TestDeployment;
  let sites: TestHost;
  let browser: Browser;
  let as: oauth.AuthorizationServer;
  let options: ClientOptions;
  const client: oauth.Client = { client_id: CLIENT_ID };
  let laptop: string;
  let desktop: string;

  before(async () => {
    deployment = await startTestDeployment({
      resources: EXAMPLE_RESOURCES,
      service_name: 'Example Accounts',
    });
    options = clientOptions(deployment);
    sites = await startTestHost(deployment.ca, ['notes.example.test']);
    laptop = `${sites.origin('notes.example.test')}/laptop/callback`;
    desktop = `${sites.origin('notes.example.test')}/desktop/callback`;
    for (const path of ['/laptop/callback', '/desktop/callback']) {
      sites.route(path, (_request, response) => {
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>Notes</title><p>back');
      });
    }
    await deployment.addClient({
      client_id: CLIENT_ID,
      client_name: 'Notes',
      redirect_uris: [laptop, desktop],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    await deployment.addUser('alice', PASSWORD);
    as = await discover(deployment);
    browser = await launchChromium([
      await servedSpkiPin(deployment.issuer, deployment.ca.certPem),
      await servedSpkiPin(sites.origin('notes.example.test'), deployment.ca.certPem),
    ]);
  });

  after(async () => {
    await browser?.close();
    await sites?.close();
    await deployment?.close();
  });

  /** axe-core needs a script on the page, which the pages' CSP forbids: this context lets it in. */
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ bypassCSP: true });
    context.setDefaultTimeout(15_000);
    return context;
  }

  /** One installation connects: sign in if asked, Allow, redeem the code; its refresh token. */
  async function connect(page: Page, redirectUri: string): Promise<string> {
    const { url, state, codeVerifier } = await newAuthorizationRequest(as, {
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'mcp:tools',
      resource: RESOURCE,
    });
    await page.goto(url.href);
    if (await page.getByLabel('Password').isVisible()) {
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.waitForURL((at) => at.href.startsWith(redirectUri));
    const parameters = oauth.validateAuthResponse(as, client, new URL(page.url()), state);
    const tokens = await redeemCode(as, client, oauth.None(), parameters, redirectUri, codeVerifier, {
      ...options,
      additionalParameters: { resource: RESOURCE },
    });
    assert.ok(tokens.refresh_token);
    return tokens.refresh_token;
  }

  it('lists both installations, revokes one, and only its refresh fails', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const laptopRefresh = await connect(page, laptop);
    const desktopRefresh = await connect(page, desktop);

    await page.goto(`${deployment.issuer}/account`);
    await page.getByRole('heading', { name: 'Your connected apps' }).waitFor();
    const cards = page.locator('section.card');
    assert.equal(await cards.count(), 2);
    const text = (await page.locator('main').textContent())?.replace(/\s+/g, ' ') ?? '';
    assert.match(text, /Calls itself “Notes” \(its own claim, not verified\)/);
    assert.match(text, /Trust ?trusted/);
    assert.match(text, /use the tools this server offers, as you mcp:tools/);
    await checkPageAtEveryWidth(page, 'account');

    await page.getByRole('button', { name: `Revoke ${CLIENT_ID} at ${laptop}` }).click();
    await page.getByRole('status').waitFor();
    assert.equal(await cards.count(), 1);
    assert.match((await cards.textContent()) ?? '', /desktop\/callback/);
    await checkPageAtEveryWidth(page, 'account-revoked');

    await assert.rejects(
      refreshTokens(as, client, oauth.None(), laptopRefresh, options),
      (error) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant',
    );
    const renewed = await refreshTokens(as, client, oauth.None(), desktopRefresh, options);
    assert.ok(renewed.access_token);
    const [event] = await deployment.gatehouse.store.audit.list({ type: 'installation.revoked' });
    assert.equal(event?.actor, 'user:alice');
    await context.close();
  });

  it('asks a browser without a session to sign in first, then shows the list', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${deployment.issuer}/account`);
    await page.getByRole('heading', { name: 'Sign in to Example Accounts' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0);
    await checkPageAtEveryWidth(page, 'account-sign-in');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your connected apps' }).waitFor();
    assert.equal(page.url(), `${deployment.issuer}/account`);
    await context.close();
  });
});
