/**
 * Cancel on the login page (issue #15 item 3): `access_denied` at the verified redirect_uri, with
 * state and iss (RFC 9207), answering the request exactly once; anything not verified gets the
 * error page, never a redirect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'node-html-parser';
import { isPage, type Page, type UserAgent } from '../../../test/support/user-agent.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './support/test-server.ts';

const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);

/** Presses Cancel: posts the page's Cancel form (the second form) as the browser would. */
function cancel(ua: UserAgent, page: Page, fields: Record<string, string> = {}) {
  const form = parse(page.html).querySelectorAll('form')[1];
  assert.ok(form, 'the login page has a Cancel form');
  assert.equal(form.querySelector('button')?.textContent, 'Cancel');
  const body = new URLSearchParams({
    csrf: form.querySelector('input[name="csrf"]')!.getAttribute('value')!,
  });
  for (const [name, value] of Object.entries(fields)) body.set(name, value);
  return ua.navigate(form.getAttribute('action')!, atClient, { method: 'POST', body });
}

describe('Cancel on the login page', () => {
  it('answers access_denied at the redirect_uri with state and iss, once', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const login = await ua.navigate(t.authorizationUrl(), atClient);
    assert.ok(isPage(login));
    const answer = await cancel(ua, login);
    assert.ok(!isPage(answer));
    const callback = new URL(answer.redirectedTo);
    assert.equal(callback.origin + callback.pathname, APP_REDIRECT);
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), 'state-123');
    assert.equal(callback.searchParams.get('iss'), ISSUER);
    assert.equal(callback.searchParams.get('code'), null);
    assert.deepEqual(t.lastOutcome(), {
      error: 'access_denied',
      reason: 'user_cancelled',
      clientId: 'public-app',
    });
    assert.equal((await t.store.audit.list({ type: 'login.cancelled' })).length, 1);

    // The request is answered: Cancel again, or signing in, reaches only the error page.
    const again = await cancel(ua, login);
    assert.ok(isPage(again));
    assert.equal(again.status, 400);
    assert.equal(t.lastOutcome()?.reason, 'interaction_unknown');
  });

  it('without the form token, or from another browser, shows the error page and leaves the request open', async () => {
    const t = await createTestServer();
    const ua = t.userAgent();
    const login = await ua.navigate(t.authorizationUrl(), atClient);
    assert.ok(isPage(login));
    const forged = await cancel(ua, login, { csrf: 'forged' });
    assert.ok(isPage(forged), 'never a redirect');
    assert.equal(forged.status, 400);
    assert.equal(t.lastOutcome()?.reason, 'csrf_mismatch');
    const stranger = await cancel(t.userAgent(), login);
    assert.ok(isPage(stranger), 'never a redirect');
    assert.equal(t.lastOutcome()?.reason, 'browser_binding_mismatch');
    assert.equal((await t.store.audit.list({ type: 'login.cancelled' })).length, 0);
    // Still answerable by its own browser.
    const answer = await cancel(ua, login);
    assert.ok(!isPage(answer));
    assert.equal(new URL(answer.redirectedTo).searchParams.get('error'), 'access_denied');
  });

  it('is offered only on an authorization request: an unregistered redirect_uri never gets a login page', async () => {
    const t = await createTestServer();
    const page = await t
      .userAgent()
      .navigate(t.authorizationUrl({ redirect_uri: 'https://elsewhere.example.test/cb' }), atClient);
    assert.ok(isPage(page), 'never a redirect to an unverified redirect_uri');
    assert.equal(page.status, 400);
    assert.equal(parse(page.html).querySelectorAll('form').length, 0);
  });
});
