import { parse } from 'node-html-parser';
import { type Connection, type HttpResponse, header } from './driver.ts';

/**
 * The smallest browser that logs a user in on either server: a cookie jar, redirects followed one
 * at a time on the server's own origin, and HTML forms submitted as a browser without JavaScript
 * would (every named input; the user's name and password where asked; "allow" where asked).
 * It is used only to set up sessions and consent; the measured flows reuse its cookies.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  private readonly connection: Connection;
  private readonly issuer: string;

  constructor(connection: Connection, issuer: string) {
    this.connection = connection;
    this.issuer = issuer;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** One request with the jar's cookies; stores what the server sets. */
  async request(method: string, url: string, body?: string): Promise<HttpResponse> {
    const target = new URL(url, this.issuer);
    const cookie = this.cookieHeader();
    const response = await this.connection.send(method, `${target.pathname}${target.search}`, {
      headers: cookie === '' ? {} : { cookie },
      ...(body === undefined ? {} : { body }),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1).trim());
    }
    return response;
  }

  /**
   * Follows the server's redirects from `url`, logging in and consenting on the pages it shows,
   * until it is sent away from the issuer's origin; returns that location (the redirect_uri).
   */
  async authorize(url: string, login: { username: string; password: string }): Promise<URL> {
    let method = 'GET';
    let current = new URL(url, this.issuer).href;
    let body: string | undefined;
    for (let hops = 0; hops < 20; hops++) {
      const response = await this.request(method, current, body);
      const location = header(response, 'location');
      if (response.status >= 300 && response.status < 400 && location !== undefined) {
        const next = new URL(location, current);
        if (next.origin !== new URL(this.issuer).origin) return next;
        current = next.href;
        method = 'GET';
        body = undefined;
        continue;
      }
      if (response.status !== 200)
        throw new Error(`login: HTTP ${response.status} at ${current}: ${response.body}`);
      const form = parse(response.body).querySelector('form');
      if (form === null) throw new Error(`login: no form at ${current}:\n${response.body.slice(0, 500)}`);
      const fields = new URLSearchParams();
      for (const input of form.querySelectorAll('input')) {
        const name = input.getAttribute('name');
        if (name === undefined) continue;
        if (name === 'username' || name === 'login') fields.set(name, login.username);
        else if (name === 'password') fields.set(name, login.password);
        else fields.set(name, input.getAttribute('value') ?? '');
      }
      const allow = form
        .querySelectorAll('button')
        .find((button) => button.getAttribute('value') === 'allow');
      if (allow !== undefined) fields.set(allow.getAttribute('name') ?? 'decision', 'allow');
      current = new URL(form.getAttribute('action') ?? current, current).href;
      method = (form.getAttribute('method') ?? 'get').toUpperCase();
      body = fields.toString();
    }
    throw new Error('login: too many redirects');
  }
}
