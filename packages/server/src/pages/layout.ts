import { html } from 'hono/html';

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

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f;line-height:1.45}
h1{font-size:1.4rem} .muted{color:#5b5b66;font-size:.9rem} .warn{background:#fff4ce;border:1px solid #e0c36b;padding:.6rem .8rem;border-radius:6px}
.error{background:#fde7e9;border:1px solid #e8a0a8;padding:.6rem .8rem;border-radius:6px}
label{display:block;margin:.8rem 0 .2rem;font-weight:600} input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.55rem 1.1rem;font-size:1rem;border-radius:6px;border:1px solid #888;background:#f4f4f6;cursor:pointer}
button.primary{background:#1f4fd8;border-color:#1f4fd8;color:#fff} code{background:#f1f1f4;padding:.05rem .3rem;border-radius:4px;word-break:break-all}
ul{padding-left:1.2rem}`;

export async function renderPage(title: string, serviceName: string, body: unknown): Promise<string> {
  const page = await html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${serviceName}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
  return page.toString();
}

export async function pageResponse(
  title: string,
  serviceName: string,
  body: unknown,
  init: { status?: number; headers?: HeadersInit } = {},
): Promise<Response> {
  const headers = new Headers(PAGE_HEADERS);
  for (const [name, value] of new Headers(init.headers)) headers.append(name, value);
  return new Response(await renderPage(title, serviceName, body), { status: init.status ?? 200, headers });
}
