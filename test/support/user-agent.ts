import { parse } from 'node-html-parser';

/**
 * A test user agent: a browser reduced to what OAuth pages need. It keeps cookies, follows
 * redirects one at a time (so a test sees where the server sends it and stops at the client's
 * redirect_uri), and submits the HTML forms of the login and consent pages the way a browser
 * without JavaScript would: every named input, plus the clicked button's name and value.
 */
export type Send = (url: string, init: RequestInit) => Promise<Response>;

export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

export class UserAgent {
  private readonly cookies = new Map<string, string>();
  private readonly send: Send;

  /** @param send how requests travel: a TLS-trusting fetch end to end, or `server.fetch` in process. */
  constructor(send: Send) {
    this.send = send;
  }

  /** Follows redirects until a page is shown or the browser is sent to a URL `stopAt` accepts. */
  async navigate(
    url: string,
    stopAt: (location: string) => boolean,
    init?: { method: string; body: URLSearchParams; headers?: Record<string, string> },
  ): Promise<Page | { redirectedTo: string }> {
    let current = url;
    let request = init;
    for (let hops = 0; hops < 10; hops++) {
      const response = await this.send(current, {
        method: request?.method ?? 'GET',
        redirect: 'manual',
        headers: {
          ...(this.cookies.size === 0
            ? {}
            : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }),
          ...(request === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
          ...request?.headers,
        },
        ...(request === undefined ? {} : { body: request.body.toString() }),
      });
      for (const line of response.headers.getSetCookie()) this.storeCookie(line);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        const next = new URL(location, current).href;
        if (stopAt(next)) return { redirectedTo: next };
        current = next;
        request = undefined;
        continue;
      }
      return {
        url: current,
        status: response.status,
        html: await response.text(),
        headers: response.headers,
      };
    }
    throw new Error('too many redirects');
  }

  /** Fills and submits the page's form; `button` picks the submit button by its value. */
  submit(
    page: Page,
    fields: Record<string, string>,
    stopAt: (location: string) => boolean,
    button?: string,
  ): Promise<Page | { redirectedTo: string }> {
    const form = parse(page.html).querySelector('form');
    if (form === null) throw new Error(`no form on ${page.url}:\n${page.html}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      if (name === undefined) continue;
      body.set(name, fields[name] ?? input.getAttribute('value') ?? '');
    }
    for (const name of Object.keys(fields)) {
      if (!body.has(name)) throw new Error(`the form has no field ${name}`);
    }
    if (button !== undefined) {
      const clicked = form
        .querySelectorAll('button')
        .find((candidate) => candidate.getAttribute('value') === button);
      if (clicked === undefined) throw new Error(`no button ${button}`);
      body.set(clicked.getAttribute('name') ?? '', button);
    }
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).href;
    return this.navigate(action, stopAt, {
      method: (form.getAttribute('method') ?? 'get').toUpperCase(),
      body,
    });
  }

  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }

  /** Another browser holding a copy of this one's cookies (a stolen or synced cookie jar). */
  copy(): UserAgent {
    const twin = new UserAgent(this.send);
    for (const [name, value] of this.cookies) twin.cookies.set(name, value);
    return twin;
  }

  private storeCookie(line: string): void {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    if (/max-age=0/i.test(line)) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

export function isPage(result: Page | { redirectedTo: string }): result is Page {
  return 'html' in result;
}
