/**
 * The frame of every console page (issue #15, decision 0040): a strict Content-Security-Policy (no
 * script, no inline style, the stylesheet from the console's own origin, forms only to itself, never
 * framed), never cached, no Referer to another site. Values are escaped by hono/html. Every page works without
 * JavaScript: the console has none.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { messagesFor } from '../messages/catalogue.ts';
import { CSRF_FIELD } from './console-csrf.ts';

const M = messagesFor().console;

export const CONSOLE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const CONSOLE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: with it Chromium sends `Origin: null` on the console's own form posts, which
  // the Origin check must refuse. `same-origin` still sends nothing to any other site.
  'referrer-policy': 'same-origin',
  'content-security-policy': CONSOLE_CSP,
} as const;

export type Section = keyof typeof M.nav;

/** What every page of a signed-in admin knows: where the console is, who is signed in, the form token. */
export interface PageFrame {
  /** The console's path, e.g. `/admin` (below the issuer's path). */
  base: string;
  serviceName: string;
  username: string;
  csrf: string;
}

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

const SECTION_PATHS: Record<Section, string> = {
  overview: '',
  clients: '/clients',
  domains: '/domains',
  accessRequests: '/access-requests',
  policy: '/policy',
  audit: '/audit',
  users: '/users',
};

/** The hidden CSRF field every form carries. */
export function csrfField(frame: Pick<PageFrame, 'csrf'>): Markup {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${frame.csrf}">`;
}

export async function consoleDocument(
  title: string,
  frame: Pick<PageFrame, 'base' | 'serviceName'> & Partial<PageFrame>,
  section: Section | undefined,
  body: unknown,
): Promise<string> {
  const nav =
    frame.username === undefined
      ? ''
      : html`<nav aria-label="${M.navLabel}"><ul>
${(Object.keys(SECTION_PATHS) as Section[]).map(
  (name) =>
    html`<li><a href="${frame.base}${SECTION_PATHS[name]}"${name === section ? html` aria-current="page"` : ''}>${M.nav[name]}</a></li>`,
)}
</ul></nav>
<form class="inline" method="post" action="${frame.base}/logout">${csrfField({ csrf: frame.csrf ?? '' })}<span class="muted">${M.signedInAs(frame.username)}</span> <button type="submit">${M.signOut}</button></form>`;
  const page = await html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${M.consoleName} · ${frame.serviceName}</title>
<link rel="stylesheet" href="${frame.base}/console.css">
</head>
<body>
<a class="skip" href="#content">${M.skipToContent}</a>
<header class="bar"><span class="brand">${frame.serviceName} · ${M.consoleName}</span>${nav}</header>
<main id="content">
${body}
</main>
</body>
</html>`;
  return page.toString();
}

export async function consoleResponse(
  title: string,
  frame: Pick<PageFrame, 'base' | 'serviceName'> & Partial<PageFrame>,
  section: Section | undefined,
  body: unknown,
  init: { status?: number; headers?: HeadersInit } = {},
): Promise<Response> {
  const headers = new Headers(CONSOLE_HEADERS);
  for (const [name, value] of new Headers(init.headers)) headers.append(name, value);
  return new Response(await consoleDocument(title, frame, section, body), {
    status: init.status ?? 200,
    headers,
  });
}

/** 303 to a console page (after a POST: the browser GETs the result, a reload does not repeat it). */
export function seeOther(location: string, headers: HeadersInit = {}): Response {
  const answer = new Headers(headers);
  answer.set('location', location);
  answer.set('cache-control', 'no-store');
  return new Response(null, { status: 303, headers: answer });
}

export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}
