/**
 * The admin console (issue #15, docs/console.md, decision 0040): server-rendered pages over the
 * same services the admin API and the CLI call (governance, inventory, document history, audit
 * query), mounted beside the admin API. Nothing here reads or writes a store directly except the
 * console's own sessions: every change goes through the service the admin API operation calls, with
 * the actor `console:<user name>`, so it is validated, propagated and audited the same way.
 *
 * Every page but sign-in needs a console session of an enabled admin (console-session.ts); without
 * one a GET or POST is sent to the sign-in page. Every POST carries the session's CSRF token and the
 * console's Origin (console-csrf.ts), else 403 and nothing changes.
 */
import { OAuthError } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { MAX_FORM_BYTES, readCappedText } from '../http/form-body.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import type { ServerApp } from '../http/server-app.ts';
import { messagesFor } from '../messages/catalogue.ts';
import { accessRequestsPage } from './access-requests-page.ts';
import { auditPage } from './audit-page.ts';
import { clientPage } from './client-page.ts';
import { clientsPage } from './clients-page.ts';
import { consoleActions } from './console-actions.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { createConsoleCsrf } from './console-csrf.ts';
import { consoleResponse, type PageFrame, seeOther } from './console-layout.ts';
import { type ConsoleSessionDeps, currentConsoleSession, endConsoleSession } from './console-session.ts';
import { consoleCss } from './console-style.ts';
import { domainsPage } from './domains-page.ts';
import { loginPage, signIn } from './login-page.ts';
import { overviewPage } from './overview-page.ts';
import { policyPage } from './policy-page.ts';
import { revokePage } from './revoke-page.ts';
import { userPage, usersPage } from './users-page.ts';

const M = messagesFor().console;

export function mountConsoleRoutes(app: ServerApp, deps: ConsoleDeps, basePath: string): void {
  const base = `${basePath}/admin`;
  const csrf = createConsoleCsrf(deps.secrets, deps.origins);
  const sessions: ConsoleSessionDeps = {
    sessions: deps.sessions,
    users: deps.users,
    clock: deps.clock,
    secureCookies: deps.secureCookies,
    idleSeconds: deps.idleSeconds,
    absoluteSeconds: deps.absoluteSeconds,
  };
  const frameOf = { base, serviceName: deps.serviceName };

  const css = consoleCss(deps.primaryColor);
  app.get(
    `${base}/console.css`,
    () =>
      new Response(css, {
        headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' },
      }),
  );
  app.get(`${base}/login`, () => loginPage(frameOf, {}));
  app.post(`${base}/login`, (c) => signIn(deps, sessions, frameOf, c.req.raw, c.env?.remoteAddress));

  /** Runs a page for a signed-in admin; the sign-in page otherwise. POSTs are CSRF-checked first. */
  const signedIn = (page: ConsolePage) => async (request: Request) => {
    const current = await currentConsoleSession(sessions, request);
    if (current === undefined) return seeOther(`${base}/login`);
    const form = request.method === 'POST' ? await readForm(request) : new Map<string, string>();
    if (request.method === 'POST' && !(await csrf.check(request, current.session, form)))
      return forbidden(request, frameOf);
    const frame: PageFrame = {
      ...frameOf,
      username: current.user.username,
      csrf: await csrf.tokenFor(current.session),
    };
    const call = {
      request,
      url: new URL(request.url),
      frame,
      signIn: current,
      actor: `console:${current.user.username}`,
      form,
    };
    const answer = await refusalsAsPages(request, frame, () => page(call));
    // A renewed session's cookie rides on whatever the page answers.
    if (current.setCookie !== undefined) answer.headers.append('set-cookie', current.setCookie);
    return answer;
  };

  const actions = consoleActions(deps);
  const pages: [string, 'GET' | 'POST', ConsolePage][] = [
    ['', 'GET', overviewPage(deps)],
    ['/clients', 'GET', clientsPage(deps)],
    ['/client', 'GET', clientPage(deps)],
    ['/domains', 'GET', domainsPage(deps)],
    ['/access-requests', 'GET', accessRequestsPage(deps)],
    ['/revoke', 'GET', revokePage(deps)],
    ['/policy', 'GET', policyPage(deps)],
    ['/audit', 'GET', auditPage(deps)],
    ['/users', 'GET', usersPage(deps)],
    ['/user', 'GET', userPage(deps)],
    ['/actions/user', 'POST', actions.user],
    ['/actions/revoke-connection', 'POST', actions.revokeConnection],
    ['/actions/set-tier', 'POST', actions.setTier],
    ['/actions/delete-rule', 'POST', actions.deleteRule],
    ['/revoke', 'POST', actions.revoke],
    ['/actions/approve', 'POST', actions.approve],
    ['/actions/block', 'POST', actions.block],
    ['/actions/unblock', 'POST', actions.unblock],
    ['/actions/owner', 'POST', actions.owner],
    [
      '/logout',
      'POST',
      async ({ request, signIn: current }) => {
        const cleared = await endConsoleSession(sessions, request);
        await deps.audit({
          type: 'console.signed_out',
          userId: current.user.id,
          actor: `console:${current.user.username}`,
          detail: { username: current.user.username },
        });
        return seeOther(`${base}/login`, { 'set-cookie': cleared });
      },
    ],
  ];
  for (const [path, method, page] of pages)
    app.on(method, `${base}${path}`, (c) => signedIn(page)(c.req.raw));
}

/** A form body (application/x-www-form-urlencoded, at most 64 KiB); anything else reads as empty. */
async function readForm(request: Request): Promise<Map<string, string>> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return new Map();
  try {
    return new Map(new URLSearchParams(await readCappedText(request, MAX_FORM_BYTES)));
  } catch {
    return new Map();
  }
}

async function forbidden(
  request: Request,
  frame: Pick<PageFrame, 'base' | 'serviceName'>,
): Promise<Response> {
  noteOutcome(request, { error: 'access_denied', reason: 'console_csrf_invalid' });
  return consoleResponse(
    M.refusals.forbiddenTitle,
    frame,
    undefined,
    html`<h1>${M.refusals.forbiddenTitle}</h1>
<p class="error">${M.refusals.csrf}</p>`,
    { status: 403 },
  );
}

/**
 * A service's refusal (a bad selector, an unknown client, a rule of the configuration file) as a
 * console page with its status and description: never a stack trace. Anything else is rethrown to
 * the server's handler (a 500 without details, or a 503 when the store is unreachable).
 */
async function refusalsAsPages(
  request: Request,
  frame: PageFrame,
  run: () => Promise<Response>,
): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    noteOutcome(request, { error: error.error, reason: error.reason });
    const title = M.refusals.forbiddenTitle;
    return consoleResponse(
      title,
      frame,
      undefined,
      html`<h1>${title}</h1><p class="error">${M.refusals.invalid(error.description ?? error.reason)}</p>`,
      { status: error.status },
    );
  }
}
