/**
 * The login and consent pages in a real headless Chromium, protected by the browser's own rules, which
 * the form-submitting test user agent of the endpoint tests cannot show: cookies __Host- prefixed,
 * Secure, HttpOnly and SameSite=Lax; forged consent (framed, cross-site, from another browser, without
 * the form token) refused with nothing stored (RFC 9700 §4.7).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cookie, Page } from 'playwright-core';
import { skipWithoutChromium } from './chromium.ts';
import {
  answer,
  appOrigin,
  arrivedAt,
  attackerOrigin,
  authorizationRequest,
  deployment,
  escapeRegExp,
  newContext,
  PASSWORD,
  serveConsentStand,
  signInToConsent,
  sites,
  textOf,
  userIds,
} from './consent-stand.ts';

describe('login and consent pages in headless Chromium', { skip: skipWithoutChromium() }, () => {
  serveConsentStand();

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
