/**
 * The pages a person meets on the way to an application (issue #15 item 3), in real headless
 * Chromium at desktop and phone widths: login, consent, the waiting page and the error page, each
 * with no serious or critical axe-core violation, every control named and nothing wider than the
 * screen (a long client_id included); and Cancel on the login page lands at the client with
 * access_denied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestDeployment, type TestDeployment } from '../support/gatehouse-over-tls.ts';
import { EXAMPLE_RESOURCES, RESOURCE } from '../support/oauth-client.ts';
import { startTestHost, type TestHost } from '../support/test-hosts.ts';
import { launchChromium, servedSpkiPin, skipWithoutChromium } from './chromium.ts';
import { checkPageAtEveryWidth } from './page-checks.ts';

const PASSWORD = 'correct horse battery staple';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
/** Long on purpose: it must wrap on a phone, never push the page sideways. */
const LONG_CLIENT = 'a-client-with-a-very-long-identifier-0123456789abcdef0123456789abcdef0123456789';

describe('pages for people at 1280 and 390 px (axe-core)', { skip: skipWithoutChromium() }, () => {
  let deployment: TestDeployment;
  let sites: TestHost;
  let browser: Browser;
  let redirect: string;

  const authorizeUrl = (clientId: string, redirectUri = redirect) =>
    `${deployment.issuer}/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      state: 'the-state',
      scope: 'mcp:tools',
      resource: RESOURCE,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    })}`;

  before(async () => {
    deployment = await startTestDeployment({
      resources: EXAMPLE_RESOURCES,
      governance: { mode: 'approval', rules: [{ selector: LONG_CLIENT, state: 'approved' }] },
    });
    sites = await startTestHost(deployment.ca, ['app.example.test']);
    redirect = `${sites.origin('app.example.test')}/callback/with/a/rather/long/path/that/must/wrap`;
    sites.route(new URL(redirect).pathname, (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>App</title><p>back');
    });
    for (const clientId of [LONG_CLIENT, 'waiting-client']) {
      await deployment.addClient({
        client_id: clientId,
        client_name: `An app that calls itself by a rather long name, ${clientId}`,
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
      });
    }
    await deployment.addUser('alice', PASSWORD);
    browser = await launchChromium([
      await servedSpkiPin(deployment.issuer, deployment.ca.certPem),
      await servedSpkiPin(sites.origin('app.example.test'), deployment.ca.certPem),
    ]);
  });

  after(async () => {
    await browser?.close();
    await sites?.close();
    await deployment?.close();
  });

  /** The pages forbid every script; this context lets Playwright inject axe-core anyway. */
  const newPage = async () => {
    const context = await browser.newContext({ bypassCSP: true });
    context.setDefaultTimeout(15_000);
    return context.newPage();
  };

  async function signIn(page: Page, clientId: string): Promise<void> {
    await page.goto(authorizeUrl(clientId));
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('login, and Cancel answers access_denied at the redirect_uri with state and iss', async () => {
    const page = await newPage();
    await page.goto(authorizeUrl(LONG_CLIENT));
    await page.getByRole('heading', { name: /^Sign in to / }).waitFor();
    await checkPageAtEveryWidth(page, 'login');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirect));
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), 'the-state');
    assert.equal(callback.searchParams.get('iss'), deployment.issuer);
  });

  it('consent', async () => {
    const page = await newPage();
    await signIn(page, LONG_CLIENT);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await checkPageAtEveryWidth(page, 'consent');
  });

  it('the waiting page of a client that awaits approval', async () => {
    const page = await newPage();
    await signIn(page, 'waiting-client');
    await page.getByRole('heading', { name: 'This application awaits approval' }).waitFor();
    await checkPageAtEveryWidth(page, 'waiting');
  });

  it('the error page, with the client_id concerned and a reference', async () => {
    const page = await newPage();
    const response = await page.goto(authorizeUrl(LONG_CLIENT, 'https://elsewhere.example.test/cb'));
    assert.equal(response?.status(), 400);
    const text = (await page.locator('main').textContent()) ?? '';
    assert.ok(text.includes(LONG_CLIENT));
    assert.equal(/Reference: (\S+)/.exec(text)?.[1], response?.headers()['x-request-id']);
    await checkPageAtEveryWidth(page, 'error');
  });
});
