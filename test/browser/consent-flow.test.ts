/**
 * The login and consent pages in a real headless Chromium, against `gatehouse serve` over https on
 * loopback: the browser trusts only the pinned keys; it signs in through the login form, reads who is
 * asking and for what, and on Allow or Deny is sent back to the client with code or error, state and
 * iss (MCP-14); an unregistered redirect_uri gets Gatehouse's own error page (MCP-13, RFC 6749
 * §4.1.2.1). oauth4webapi plays the client and redeems the code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { RESOURCE, RESOURCE_NAME, redeemCode, validateBearerToken } from '../support/oauth-client.ts';
import { startTestHost } from '../support/test-hosts.ts';
import { skipWithoutChromium } from './chromium.ts';
import {
  answer,
  appOrigin,
  arrived,
  arrivedAt,
  as,
  attackerOrigin,
  authorizationRequest,
  CLIENT_ID,
  CLIENT_NAME,
  client,
  clientAuth,
  deployment,
  escapeRegExp,
  newContext,
  options,
  PASSWORD,
  redirectUri,
  serveConsentStand,
  signInToConsent,
  textOf,
  userIds,
} from './consent-stand.ts';

describe('login and consent pages in headless Chromium', { skip: skipWithoutChromium() }, () => {
  serveConsentStand();

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
});
