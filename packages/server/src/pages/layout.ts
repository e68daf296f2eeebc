import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';

/**
 * Every page of the server is plain HTML that works without JavaScript. Values are escaped by
 * hono/html. Pages are never cached, never framed (clickjacking on a consent button), and send no
 * Referer (the interaction URL must not leak to a logo host or a linked site).
 */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
} as const;

/**
 * The operator's look (issue #15 item 4, `theme` in the configuration): the service's name, its
 * primary colour (validated `#rrggbb`, so it can go into the style sheet as it is) and its logo,
 * served by this server from its own origin (theme-logo.ts), so `img-src 'self'` still holds.
 */
export interface PageTheme {
  serviceName: string;
  primaryColor?: string | undefined;
  logoSrc?: string | undefined;
}

/** The default primary colour: 7:1 against white, so white button text passes WCAG AA anywhere. */
export const DEFAULT_PRIMARY_COLOR = '#1f4fd8';

/*
 * Phone first: nothing wider than the screen (long client_ids and URLs wrap anywhere rather than
 * push the page sideways, checked at 360 and 390 px), buttons big enough to tap.
 */
const STYLE = `
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1b1b1f;line-height:1.45;overflow-wrap:anywhere}
header{display:flex;align-items:center;gap:.6rem;margin-bottom:1rem;color:#3b3b44} header img{max-height:40px;max-width:160px}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin:0 0 .3rem} .muted{color:#5b5b66;font-size:.9rem} .label{color:#5b5b66;font-size:.85rem;font-style:italic}
.warn{background:#fff4ce;border:1px solid #e0c36b;padding:.6rem .8rem;border-radius:6px}
.error{background:#fde7e9;border:1px solid #e8a0a8;padding:.6rem .8rem;border-radius:6px}
.ok{background:#e6f4ea;border:1px solid #9ccfa9;padding:.6rem .8rem;border-radius:6px}
.claim{display:flex;align-items:center;gap:.6rem;margin:.4rem 0} .claim img{flex:none}
label{display:block;margin:.8rem 0 .2rem;font-weight:600} input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1rem} form.inline{display:inline}
button{min-height:44px;padding:.55rem 1.1rem;font-size:1rem;border-radius:6px;border:1px solid #767680;background:#f4f4f6;color:#1b1b1f;cursor:pointer}
button.primary{background:var(--primary);border-color:var(--primary);color:#fff}
code{background:#f1f1f4;padding:.05rem .3rem;border-radius:4px;overflow-wrap:anywhere;word-break:normal}
ul{padding-left:1.2rem} li{margin:.25rem 0}
.card{border:1px solid #d6d6de;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:.5rem 0} dt{color:#5b5b66} dd{margin:0;min-width:0}
@media (max-width:420px){dl{grid-template-columns:1fr} dd{margin-bottom:.4rem}}`;

function themeOf(theme: PageTheme | string): PageTheme {
  return typeof theme === 'string' ? { serviceName: theme } : theme;
}

export async function renderPage(title: string, look: PageTheme | string, body: unknown): Promise<string> {
  const theme = themeOf(look);
  const words = messagesFor().layout;
  // The colour is `#rrggbb` (the schema checks it); the check here keeps that true for embedders.
  const primary = /^#[0-9a-fA-F]{6}$/.test(theme.primaryColor ?? '')
    ? theme.primaryColor
    : DEFAULT_PRIMARY_COLOR;
  const page = await html`<!doctype html>
<html lang="${words.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${words.documentTitle(title, theme.serviceName)}</title>
<style>:root{--primary:${primary}}${STYLE}</style>
</head>
<body>
<header>${theme.logoSrc === undefined ? '' : html`<img src="${theme.logoSrc}" alt="">`}<span>${theme.serviceName}</span></header>
<main>
${body}
</main>
</body>
</html>`;
  return page.toString();
}

export async function pageResponse(
  title: string,
  look: PageTheme | string,
  body: unknown,
  init: { status?: number; headers?: HeadersInit } = {},
): Promise<Response> {
  const headers = new Headers(PAGE_HEADERS);
  for (const [name, value] of new Headers(init.headers)) headers.append(name, value);
  return new Response(await renderPage(title, look, body), { status: init.status ?? 200, headers });
}
