/**
 * The connected apps page (issue #15 item 2, AT-14): `<issuer>/account`, behind the same login as
 * the authorization flow (the browser session, authorization/browser-session.ts). Without a
 * session it shows the login form, which comes back here.
 *
 * Forms: each POST must come from this origin (an `Origin` header, when the browser sends one,
 * must be the issuer's), carry the form token, and the cookies are SameSite=Lax, so another site
 * cannot post them. The form token is derived from what only this browser holds: the session's
 * digest for Revoke, the browser binding's for the login form (login CSRF).
 */
import { OAuthError } from '@gatehouse-oauth/core';
import { authorizationError, redirectTo } from '../authorization/authorization-response.ts';
import {
  bindingDigestOf,
  browserBinding,
  currentSession,
  endSession,
  startSession,
} from '../authorization/browser-session.ts';
import type { ServerContext } from '../context.ts';
import { digest, safeEqual } from '../crypto/digest.ts';
import { readFormBody } from '../http/form-body.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import { messagesFor } from '../messages/catalogue.ts';
import type { SessionRecord } from '../store/store.ts';
import { accountPage } from './account-page.ts';
import { connectedAppsOf, revokeInstallation } from './connected-apps.ts';
import { loginPage } from './login-page.ts';

export function accountEndpoints(ctx: ServerContext) {
  const at = {
    page: `${ctx.issuer}/account`,
    login: `${ctx.issuer}/account/login`,
    revoke: `${ctx.issuer}/account/revoke`,
    signOut: `${ctx.issuer}/account/sign-out`,
  };
  return {
    show: (request: Request) => sameOriginReferrer(refusals(ctx, request, () => show(ctx, request, at))),
    login: (request: Request, remoteAddress?: string) =>
      sameOriginReferrer(refusals(ctx, request, () => login(ctx, request, at, remoteAddress))),
    revoke: (request: Request) => refusals(ctx, request, () => revoke(ctx, request, at)),
    signOut: (request: Request) => refusals(ctx, request, () => signOut(ctx, request, at)),
  };
}

type Places = { page: string; login: string; revoke: string; signOut: string };

/**
 * These pages' forms are checked by their `Origin`, which browsers send as `null` under the other
 * pages' `no-referrer` policy (Fetch, "serializing a request origin"). `same-origin` keeps the
 * Referer off every other site while this origin's own POSTs carry their real Origin.
 */
async function sameOriginReferrer(answer: Promise<Response>): Promise<Response> {
  const response = await answer;
  if (response.headers.has('referrer-policy')) response.headers.set('referrer-policy', 'same-origin');
  return response;
}

async function refusals(ctx: ServerContext, request: Request, step: () => Promise<Response>) {
  try {
    return await step();
  } catch (error) {
    if (error instanceof OAuthError) noteOutcome(request, { error: error.error, reason: error.reason });
    return authorizationError(ctx, error, undefined);
  }
}

/** A form token bound to one secret this browser holds, for one form (`purpose`). */
function formToken(purpose: 'login' | 'revoke' | 'sign-out', secretDigest: string): string {
  return digest(`gatehouse-account-${purpose}:${secretDigest}`);
}

async function show(ctx: ServerContext, request: Request, at: Places): Promise<Response> {
  const session = await currentSession(ctx, request);
  if (session === undefined) return signIn(ctx, request, at);
  const user = await ctx.store.users.get(session.userId);
  return accountPage({
    username: user?.username ?? session.userId,
    apps: await connectedAppsOf(ctx, session.userId),
    revokeAction: at.revoke,
    csrfToken: formToken('revoke', session.digest),
    signOutAction: at.signOut,
    signOutToken: formToken('sign-out', session.digest),
    revoked: new URL(request.url).searchParams.get('revoked') === '1',
    theme: ctx.pageTheme,
  });
}

function signIn(
  ctx: ServerContext,
  request: Request,
  at: Places,
  outcome?: { failed: { username: string } },
): Promise<Response> {
  const binding = browserBinding(ctx, request);
  return loginPage({
    action: at.login,
    csrfToken: formToken('login', binding.digest),
    purpose: messagesFor().account.signInPurpose,
    serviceName: ctx.serviceName,
    theme: ctx.pageTheme,
    ...(outcome === undefined ? {} : { failed: true, username: outcome.failed.username }),
  }).then((response) => {
    if (binding.setCookie !== undefined) response.headers.append('set-cookie', binding.setCookie);
    return response;
  });
}

async function login(ctx: ServerContext, request: Request, at: Places, remoteAddress?: string) {
  sameOrigin(ctx, request);
  const form = await readFormBody(request);
  const binding = bindingDigestOf(ctx, request);
  checkToken(form.parameters.get('csrf'), binding === undefined ? undefined : formToken('login', binding));
  const username = form.parameters.get('username') ?? '';
  const password = form.parameters.get('password') ?? '';
  // The same throttle and authenticator as the authorization flow's login (issue #18 finding 3).
  const attempt = await ctx.loginThrottle.attempt({ username, remoteAddress, now: ctx.clock() });
  if (!attempt.allowed) {
    noteOutcome(request, { error: 'access_denied', reason: 'login_throttled' });
    return signIn(ctx, request, at, { failed: { username } });
  }
  const user = await ctx.authenticateUser({ username, password, form: form.parameters });
  if (user === undefined) {
    noteOutcome(request, { error: 'access_denied', reason: 'login_failed' });
    await ctx.audit({ type: 'login.failed', reason: 'bad_credentials' });
    return signIn(ctx, request, at, { failed: { username } });
  }
  await attempt.succeeded();
  const { setCookie } = await startSession(ctx, user.id);
  await ctx.audit({ type: 'login.succeeded', userId: user.id });
  return redirectTo(at.page, { 'set-cookie': setCookie });
}

async function revoke(ctx: ServerContext, request: Request, at: Places): Promise<Response> {
  sameOrigin(ctx, request);
  const form = await readFormBody(request);
  const session = await currentSession(ctx, request);
  // Signed out meanwhile (expired, another tab): the page asks to sign in again; nothing changes.
  if (session === undefined) return redirectTo(at.page);
  checkToken(form.parameters.get('csrf'), formToken('revoke', session.digest));
  const user = await accountOf(ctx, session);
  const revoked = await revokeInstallation(ctx, user, form.parameters.get('installation') ?? '');
  if (revoked === undefined) {
    throw new OAuthError('invalid_request', {
      status: 404,
      reason: 'grant_not_found',
      description: 'this application is not connected to your account (any more)',
    });
  }
  noteOutcome(request, { clientId: revoked.clientId });
  return redirectTo(`${at.page}?revoked=1`);
}

/**
 * Sign out (the session is the browser's login for every authorization flow too, so this ends
 * those as well): the stored session is deleted, so the cookie opens nothing any more on any
 * instance, and the cookie is cleared. A browser already signed out is simply shown the sign-in.
 */
async function signOut(ctx: ServerContext, request: Request, at: Places): Promise<Response> {
  sameOrigin(ctx, request);
  const form = await readFormBody(request);
  const session = await currentSession(ctx, request);
  if (session === undefined) return redirectTo(at.page);
  checkToken(form.parameters.get('csrf'), formToken('sign-out', session.digest));
  const { setCookie } = await endSession(ctx, request);
  await ctx.audit({ type: 'login.signed_out', userId: session.userId });
  return redirectTo(at.page, { 'set-cookie': setCookie });
}

async function accountOf(ctx: ServerContext, session: SessionRecord) {
  const user = await ctx.store.users.get(session.userId);
  return { id: session.userId, username: user?.username ?? session.userId };
}

/**
 * A form of these pages posted from another origin is refused (OWASP CSRF cheat sheet, "verifying
 * origin with standard headers"); so is `Origin: null` (a sandboxed or opaque origin). Browsers
 * send `Origin` on every POST; a request without one (not a browser) still needs the form token.
 */
function sameOrigin(ctx: Pick<ServerContext, 'issuer'>, request: Request): void {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== new URL(ctx.issuer).origin) {
    throw new OAuthError('invalid_request', {
      status: 403,
      reason: 'cross_origin_form',
      description: 'this form was sent from another site',
    });
  }
}

function checkToken(presented: string | undefined, expected: string | undefined): void {
  if (presented === undefined || expected === undefined || !safeEqual(presented, expected)) {
    throw new OAuthError('invalid_request', {
      reason: 'csrf_mismatch',
      description: 'the form has expired; open the page again',
    });
  }
}
