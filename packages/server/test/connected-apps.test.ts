/**
 * The connected apps page (issue #15 item 2, AT-14): behind the normal login, one entry per
 * installation, and Revoke ends exactly that installation (its grant and sessions) through the
 * client lifecycle, audited with the user as actor; forged or foreign revocations change nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'node-html-parser';
import { isPage, type Page, type UserAgent } from '../../../test/support/user-agent.ts';
import { APP_REDIRECT, createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const LOOPBACK_AT_PORT = 'http://127.0.0.1:54321/callback';
/** Stops at the first redirect, to see where the server sends the browser. */
const stay = () => true;
const atAccount = (location: string) => !location.startsWith(`${ISSUER}/`);

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

/** Alice allows public-app from two installations (a web redirect and a loopback one). */
async function twoInstallations(t: TestServer) {
  const ua = t.userAgent();
  const web = await t.tokensFor({ scope: 'mcp:tools' });
  const loopback = await t.token(
    t.redeemParams(await t.authorize({ redirect_uri: LOOPBACK_AT_PORT }, ua), {
      redirect_uri: LOOPBACK_AT_PORT,
    }),
  );
  const local = (await loopback.json()) as { refresh_token: string };
  assert.ok(web.refresh_token && local.refresh_token);
  return { ua, web: web.refresh_token, local: local.refresh_token };
}

async function accountPage(ua: UserAgent): Promise<Page> {
  const page = await ua.navigate(`${ISSUER}/account`, atAccount);
  assert.ok(isPage(page));
  return page;
}

/** The Revoke forms of the page: installation key → the fields the form posts. */
function revokeForms(page: Page): Map<string, Record<string, string>> {
  const forms = new Map<string, Record<string, string>>();
  for (const form of parse(page.html).querySelectorAll('form')) {
    const fields = Object.fromEntries(
      form
        .querySelectorAll('input')
        .map((input) => [input.getAttribute('name')!, input.getAttribute('value')!]),
    );
    if (fields.installation !== undefined) forms.set(fields.installation, fields);
  }
  return forms;
}

/** Posts a form of the pages as this browser would, with its cookies (and `headers`). */
function postForm(ua: UserAgent, path: string, fields: Record<string, string>, headers = {}) {
  return ua.navigate(`${ISSUER}${path}`, stay, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers,
  });
}

function refresh(t: TestServer, refreshToken: string) {
  return t.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'public-app' });
}

describe('connected apps (/account)', () => {
  it('asks a browser without a session to sign in, and comes back to the list', async () => {
    const t = await createTestServer();
    await twoInstallations(t);
    const ua = t.userAgent();
    const login = await accountPage(ua);
    assert.equal(login.status, 200);
    assert.match(login.html, /<h1>Sign in to Gatehouse<\/h1>/);
    assert.match(login.html, /action="https:\/\/as\.example\.test\/account\/login"/);
    // No Cancel: there is no application to go back to.
    assert.doesNotMatch(login.html, />Cancel</);
    const wrong = await ua.submit(login, { username: 'alice', password: 'not it' }, atAccount);
    assert.ok(isPage(wrong));
    assert.equal(wrong.status, 401);
    assert.equal(t.lastOutcome()?.reason, 'login_failed');
    const listed = await ua.submit(login, { username: 'alice', password: PASSWORD }, atAccount);
    assert.ok(isPage(listed));
    assert.equal(listed.url, `${ISSUER}/account`);
    assert.match(listed.html, /<h1>Your connected apps<\/h1>/);
    assert.equal(revokeForms(listed).size, 2, 'one entry per installation');
    assert.match(listed.html, /<code>https:\/\/app\.example\.test\/callback<\/code>/);
    assert.match(listed.html, /<code>http:\/\/127\.0\.0\.1\/callback<\/code>/);
    assert.match(listed.html, /Trust<\/dt><dd>trusted/);
    assert.match(listed.html, /use the tools this server offers, as you <code>mcp:tools<\/code>/);
    assert.equal((await t.store.audit.list({ type: 'login.succeeded' })).length, 3);
  });

  it('revokes one installation: its refresh fails, the other installation keeps refreshing', async () => {
    const t = await createTestServer();
    const { ua, web, local } = await twoInstallations(t);
    const page = await accountPage(ua);
    const forms = revokeForms(page);
    // A loopback redirect is shared by every machine: its key names the session too (decision 0044).
    const loopbackForm = [...forms].find(([key]) => key.includes('"http://127.0.0.1/callback"'))?.[1];
    assert.ok(loopbackForm, [...forms.keys()].join(', '));
    const answer = await postForm(ua, '/account/revoke', loopbackForm);
    assert.ok(!isPage(answer) && answer.redirectedTo === `${ISSUER}/account?revoked=1`);
    const after = await ua.navigate(answer.redirectedTo, atAccount);
    assert.ok(isPage(after));
    assert.match(after.html, /role="status">The application was disconnected/);
    assert.deepEqual([...revokeForms(after).keys()], [JSON.stringify(['public-app', APP_REDIRECT])]);

    const refused = await refresh(t, local);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    assert.equal((await refresh(t, web)).status, 200);

    const [event] = await t.store.audit.list({ type: 'installation.revoked' });
    assert.ok(event);
    assert.equal(event.actor, 'user:alice');
    assert.equal(event.reason, 'user');
    assert.equal(event.userId, 'user-alice');
    assert.equal((event.detail as { redirect_uri: string }).redirect_uri, 'http://127.0.0.1/callback');

    // Again: nothing left to revoke, said plainly.
    const again = await postForm(ua, '/account/revoke', loopbackForm);
    assert.ok(isPage(again));
    assert.equal(again.status, 404);
    assert.equal(t.lastOutcome()?.reason, 'grant_not_found');
  });

  it("refuses a forged revocation: another site's Origin, a wrong form token, another user's installation", async () => {
    const t = await createTestServer();
    const { ua } = await twoInstallations(t);
    const forms = revokeForms(await accountPage(ua));
    const webForm = forms.get(JSON.stringify(['public-app', APP_REDIRECT]))!;

    const crossSite = await postForm(ua, '/account/revoke', webForm, { origin: 'https://attacker.example' });
    assert.ok(isPage(crossSite));
    assert.equal(crossSite.status, 403);
    assert.equal(t.lastOutcome()?.reason, 'cross_origin_form');

    const forged = await postForm(ua, '/account/revoke', { ...webForm, csrf: 'forged' });
    assert.ok(isPage(forged));
    assert.equal(forged.status, 400);
    assert.equal(t.lastOutcome()?.reason, 'csrf_mismatch');

    // Bob, signed in on his own page, posts the key of the same installation alice uses: only his
    // own grant is selected, never hers.
    const { passwordHash } = (await t.store.users.get('user-alice'))!;
    await t.store.users.create({ id: 'user-bob', username: 'bob', passwordHash, createdAt: t.now() });
    await t.store.grants.upsert({
      id: 'grant-bob',
      userId: 'user-bob',
      clientId: 'public-app',
      redirectUri: APP_REDIRECT,
      scope: ['mcp:tools'],
      resources: [],
      now: t.now(),
    });
    const bob = t.userAgent();
    const bobPage = await bob.submit(
      await accountPage(bob),
      { username: 'bob', password: PASSWORD },
      atAccount,
    );
    assert.ok(isPage(bobPage));
    const bobForm = revokeForms(bobPage).get(JSON.stringify(['public-app', APP_REDIRECT]))!;
    assert.notEqual(bobForm.csrf, webForm.csrf, 'a form token per session');
    assert.ok(!isPage(await postForm(bob, '/account/revoke', bobForm)));
    const revoked = await t.store.audit.list({ type: 'installation.revoked' });
    assert.deepEqual(
      revoked.map((event) => [event.actor, event.userId]),
      [['user:bob', 'user-bob']],
    );
    assert.equal(
      (await t.store.grants.listByUser('user-alice')).filter((grant) => grant.revokedAt === undefined).length,
      2,
    );
  });

  it('signs out: the stored session ends (a copy of the cookie opens nothing), audited; forged sign-outs change nothing', async () => {
    const t = await createTestServer();
    const { ua } = await twoInstallations(t);
    const stolen = ua.copy();
    const page = await accountPage(ua);
    const form = parse(page.html).querySelector(`form[action="${ISSUER}/account/sign-out"]`);
    assert.ok(form, 'the page has a Sign out form');
    const csrf = form.querySelector('input[name="csrf"]')!.getAttribute('value')!;

    const crossSite = await postForm(
      ua,
      '/account/sign-out',
      { csrf },
      { origin: 'https://attacker.example' },
    );
    assert.ok(isPage(crossSite));
    assert.equal(crossSite.status, 403);
    assert.equal(t.lastOutcome()?.reason, 'cross_origin_form');
    const forged = await postForm(ua, '/account/sign-out', { csrf: 'forged' });
    assert.ok(isPage(forged));
    assert.equal(t.lastOutcome()?.reason, 'csrf_mismatch');
    assert.equal(revokeForms(await accountPage(stolen)).size, 2, 'still signed in after the forged ones');

    const signedOut = await postForm(ua, '/account/sign-out', { csrf });
    assert.ok(!isPage(signedOut));
    assert.equal(signedOut.redirectedTo, `${ISSUER}/account`);
    // Both the browser that signed out and the copy of its cookie are asked to sign in again.
    for (const browser of [ua, stolen]) {
      const again = await accountPage(browser);
      assert.equal(revokeForms(again).size, 0);
      assert.ok(parse(again.html).querySelector('input[name="password"]'), 'the sign-in form');
    }
    // And silent authorization in that browser needs a login again.
    const silent = await stolen.navigate(
      t.authorizationUrl({ prompt: 'none' }),
      (l) => !l.startsWith(ISSUER),
    );
    assert.ok(!isPage(silent));
    assert.equal(new URL(silent.redirectedTo).searchParams.get('error'), 'login_required');
    const events = await t.store.audit.list({ type: 'login.signed_out' });
    assert.deepEqual(
      events.map((event) => event.userId),
      ['user-alice'],
    );
    // The connections themselves stay.
    assert.equal(
      (await t.store.grants.listByUser('user-alice')).filter((grant) => grant.revokedAt === undefined).length,
      2,
    );
  });
});
