/**
 * Sign-in to the admin console (issue #15, decision 0040): a local account with the admin role
 * (`gatehouse users add <name> --admin`, `users grant-admin`), checked with the same password
 * check (users/user-authentication.ts) and the same login throttle (users/login-throttle.ts) as the
 * user's login page. A wrong password, an unknown name, a disabled account, an account without the
 * admin role and a throttled attempt all get the same page: nothing says which it was.
 */
import { html } from 'hono/html';
import { MAX_FORM_BYTES, readCappedText } from '../http/form-body.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import { messagesFor } from '../messages/catalogue.ts';
import { localPasswordAuthentication } from '../users/user-authentication.ts';
import type { ConsoleDeps } from './console-call.ts';
import { sameOrigin } from './console-csrf.ts';
import { consoleResponse, type PageFrame, seeOther } from './console-layout.ts';
import { type ConsoleSessionDeps, startConsoleSession } from './console-session.ts';

const M = messagesFor().console;

type Frame = Pick<PageFrame, 'base' | 'serviceName'>;

/** The throttle's client key for console sign-ins (the user login's is the client_id). */
const THROTTLE_CLIENT = 'gatehouse-admin-console';

export function loginPage(frame: Frame, state: { failed?: { username: string } }): Promise<Response> {
  const body = html`<h1>${M.signIn.heading(frame.serviceName)}</h1>
${state.failed === undefined ? '' : html`<p class="error" role="alert">${M.signIn.refused}</p>`}
<form class="stack" method="post" action="${frame.base}/login">
<label for="username">${M.signIn.username}</label>
<input id="username" name="username" type="text" autocomplete="username" required value="${state.failed?.username ?? ''}">
<label for="password">${M.signIn.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button class="primary" type="submit">${M.signIn.submit}</button></p>
</form>`;
  return consoleResponse(M.signIn.title, frame, undefined, body, {
    status: state.failed === undefined ? 200 : 401,
  });
}

export async function signIn(
  deps: Pick<ConsoleDeps, 'users' | 'loginThrottle' | 'audit' | 'clock'> & { origins: readonly string[] },
  sessions: ConsoleSessionDeps,
  frame: Frame,
  request: Request,
  remoteAddress: string | undefined,
): Promise<Response> {
  // No session yet, so no CSRF token: the Origin check (and SameSite=Strict afterwards) stops a
  // login CSRF that would sign the operator's browser in as someone else.
  if (!sameOrigin(request, deps.origins)) {
    noteOutcome(request, { error: 'access_denied', reason: 'console_csrf_invalid' });
    return new Response('cross-origin sign-in refused', { status: 403 });
  }
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  const form =
    type === 'application/x-www-form-urlencoded'
      ? new URLSearchParams(await readCappedText(request, MAX_FORM_BYTES))
      : new URLSearchParams();
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const attempt = await deps.loginThrottle.attempt({
    username,
    remoteAddress,
    clientId: THROTTLE_CLIENT,
    now: deps.clock(),
  });
  const proven = attempt.allowed
    ? await localPasswordAuthentication(deps.users)({ username, password, form: new Map(form) })
    : undefined;
  const user = proven === undefined ? undefined : await deps.users.get(proven.id);
  if (!attempt.allowed || user?.admin !== true) {
    noteOutcome(request, { error: 'access_denied', reason: 'console_sign_in_refused' });
    // A throttled attempt is not audited one by one (the throttle audits once per window).
    if (attempt.allowed)
      await deps.audit({
        type: 'login.failed',
        reason: 'console_sign_in_refused',
        ...(user === undefined ? {} : { userId: user.id }),
        detail: { surface: 'console' },
      });
    return loginPage(frame, { failed: { username } });
  }
  await attempt.succeeded();
  const { setCookie } = await startConsoleSession(sessions, user);
  await deps.audit({
    type: 'console.signed_in',
    userId: user.id,
    actor: `console:${user.username}`,
    detail: { username: user.username },
  });
  return seeOther(frame.base, { 'set-cookie': setCookie });
}
