/**
 * Client logos (CIMD-CACHE-6): fetched by the server through the hardened fetcher, checked (raster
 * only, header and magic bytes agree), cached, and served from the server's own origin; the consent
 * page never names the remote URL and labels the logo as the client's own (CIMD-UI-2, CIMD-UI-5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type SafeFetch,
  SafeFetchError,
  type SafeFetchInit,
  type SafeResponse,
} from '@gatehouse-oauth/safe-fetch';
import { isPage, type UserAgent } from '../../../test/support/user-agent.ts';
import {
  createClientLogoCache,
  LOGO_MAX_FETCH_BYTES,
  logoKeyOf,
  sniffLogoType,
} from '../src/cimd/client-logo-cache.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const LOGO_URL = 'https://cdn.logo-host.test/brand/logo.png?v=3';
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]);
const GIF = new TextEncoder().encode('GIF89a\u0001\u0000\u0001\u0000');
const WEBP = new TextEncoder().encode('RIFF\u0010\u0000\u0000\u0000WEBPVP8 ');
const SVG = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
);

type Reply = { contentType: string; body: Uint8Array } | Error;

/** A SafeFetch stand-in that counts its calls and answers from `reply`. */
function stubFetch(reply: (url: string) => Reply | Promise<Reply>) {
  const calls: { url: string; init: SafeFetchInit | undefined }[] = [];
  const fetch: SafeFetch = async (url, init) => {
    const href = String(url);
    calls.push({ url: href, init });
    const answer = await reply(href);
    if (answer instanceof Error) throw answer;
    const response: SafeResponse = {
      status: 200,
      url: href,
      headers: new Headers({ 'content-type': answer.contentType }),
      body: answer.body,
      remoteAddress: '192.0.2.10',
      text: () => new TextDecoder().decode(answer.body),
      json: () => JSON.parse(new TextDecoder().decode(answer.body)),
    };
    return response;
  };
  return { fetch, calls };
}

const png = (): Reply => ({ contentType: 'image/png', body: PNG });
const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);

async function serverWithLogo(reply: (url: string) => Reply | Promise<Reply>, logoUri: string = LOGO_URL) {
  const stub = stubFetch(reply);
  const t = await createTestServer({ outboundFetch: stub.fetch });
  const client = (await t.store.clients.get('public-app'))!;
  await t.store.clients.put({
    ...client,
    metadata: { ...client.metadata, client_name: 'Logo App', logo_uri: logoUri },
  });
  return { t, calls: stub.calls };
}

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

/** Logs in and returns the consent page, and the browser that holds the session. */
async function consentPage(t: TestServer, ua: UserAgent = t.userAgent()) {
  const login = await ua.navigate(t.authorizationUrl(), atClient);
  assert.ok(isPage(login));
  const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
  assert.ok(isPage(consent));
  assert.match(consent.html, /Allow access\?/);
  return { consent, ua };
}

/** Shows the same consent page again in the same browser. */
async function viewAgain(ua: UserAgent, url: string) {
  const page = await ua.navigate(url, atClient);
  assert.ok(isPage(page));
  assert.match(page.html, /Allow access\?/);
  return page;
}

/** A new authorization request in the same browser (the old one may have expired). */
async function newConsent(t: TestServer, ua: UserAgent) {
  let page = await ua.navigate(t.authorizationUrl(), atClient);
  assert.ok(isPage(page));
  if (!/Allow access\?/.test(page.html)) {
    page = await ua.submit(page, { username: 'alice', password: PASSWORD }, atClient);
    assert.ok(isPage(page));
  }
  assert.match(page.html, /Allow access\?/);
  return page;
}

const IMG = /<img src="([^"]*)" alt="" width="48" height="48"/;

function logoSrc(html: string): string | undefined {
  return IMG.exec(html)?.[1];
}

describe('client logos (CIMD-CACHE-6)', async () => {
  it('fetches the logo through the fetcher and shows it from our own origin, labelled as the client’s', async () => {
    const { t, calls } = await serverWithLogo(png);
    const { consent } = await consentPage(t);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.url, LOGO_URL);
    assert.deepEqual(calls[0]!.init, {
      accept: 'image/png, image/jpeg, image/gif, image/webp',
      expectJson: false,
      maxBytes: 64 * 1024,
    });
    assert.equal(logoSrc(consent.html), `${ISSUER}/client-logo/${logoKeyOf(LOGO_URL)}`);
    assert.match(
      consent.html,
      /<p class="claim"><img[^>]*><span>It calls itself “Logo App” <span class="label">\(its own claim, not verified\)/,
    );
    // CIMD-UI-2: the verified identity still comes first.
    assert.ok(consent.html.indexOf('<code>public-app</code>') < consent.html.indexOf('<img'));
  });

  it('never puts the remote logo URL (or its host) in the consent page', async () => {
    const { t } = await serverWithLogo(png);
    const { consent } = await consentPage(t);
    assert.ok(!consent.html.includes(LOGO_URL));
    assert.ok(!consent.html.includes(LOGO_URL.replaceAll('&', '&amp;')));
    assert.ok(!consent.html.includes('logo-host.test'));
    assert.match(consent.headers.get('content-security-policy') ?? '', /img-src 'self'/);
  });

  it('serves the stored bytes with the verified type and inert headers', async () => {
    const { t } = await serverWithLogo(png);
    const { consent } = await consentPage(t);
    const response = await t.send(logoSrc(consent.html)!);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.equal(response.headers.get('cache-control'), 'private, max-age=3600');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('content-security-policy'), "default-src 'none'; sandbox");
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), PNG);
  });

  it('shows a logo without a name, still labelled as the client’s own', async () => {
    const stub = stubFetch(png);
    const t = await createTestServer({ outboundFetch: stub.fetch });
    const client = (await t.store.clients.get('public-app'))!;
    await t.store.clients.put({ ...client, metadata: { ...client.metadata, logo_uri: LOGO_URL } });
    const { consent } = await consentPage(t);
    assert.match(
      consent.html,
      /<p class="claim"><img[^>]*><span><span class="label">The logo is its own choice, not verified/,
    );
  });

  it('shows no img and fetches nothing when the client has no logo_uri', async () => {
    const stub = stubFetch(png);
    const t = await createTestServer({ outboundFetch: stub.fetch });
    const { consent } = await consentPage(t);
    assert.equal(stub.calls.length, 0);
    assert.doesNotMatch(consent.html, /<img/);
  });

  it('does not fetch an http logo_uri (https only)', async () => {
    const { t, calls } = await serverWithLogo(png, 'http://cdn.logo-host.test/logo.png');
    const { consent } = await consentPage(t);
    assert.equal(calls.length, 0);
    assert.doesNotMatch(consent.html, /<img/);
  });

  for (const [name, reply] of [
    ['an SVG labelled image/svg+xml', { contentType: 'image/svg+xml', body: SVG }],
    ['an SVG body labelled image/png', { contentType: 'image/png', body: SVG }],
    ['PNG bytes labelled image/jpeg', { contentType: 'image/jpeg', body: PNG }],
    ['GIF bytes labelled image/png', { contentType: 'image/png', body: GIF }],
    ['PNG bytes labelled text/html', { contentType: 'text/html', body: PNG }],
    ['PNG bytes without a content type', { contentType: '', body: PNG }],
    ['an empty body', { contentType: 'image/png', body: new Uint8Array() }],
    [
      'a body over 64 KiB returned anyway',
      { contentType: 'image/png', body: Uint8Array.from([...PNG, ...new Uint8Array(LOGO_MAX_FETCH_BYTES)]) },
    ],
    [
      'the fetcher’s body_too_large refusal',
      new SafeFetchError('body_too_large', 'body exceeds 65536 bytes', {
        url: LOGO_URL,
        limit: LOGO_MAX_FETCH_BYTES,
      }),
    ],
  ] as const) {
    it(`refuses ${name}: no img, nothing served`, async () => {
      const { t, calls } = await serverWithLogo(() => reply);
      const { consent } = await consentPage(t);
      assert.equal(calls.length, 1);
      assert.doesNotMatch(consent.html, /<img/);
      const served = await t.send(`${ISSUER}/client-logo/${logoKeyOf(LOGO_URL)}`);
      assert.equal(served.status, 404);
    });
  }

  it('answers 404 for an unknown key, and never fetches on request', async () => {
    const { t, calls } = await serverWithLogo(png);
    for (const key of [logoKeyOf(LOGO_URL), 'nope', encodeURIComponent(LOGO_URL)]) {
      const response = await t.send(`${ISSUER}/client-logo/${key}`);
      assert.equal(response.status, 404);
    }
    assert.equal(calls.length, 0);
  });

  it('does not refetch a logo that failed until the cooldown is over', async () => {
    const { t, calls } = await serverWithLogo(
      () => new SafeFetchError('status_not_200', 'status 500', { url: LOGO_URL, status: 500 }),
    );
    const { consent, ua } = await consentPage(t);
    assert.doesNotMatch(consent.html, /<img/);
    t.advance(60_000);
    assert.doesNotMatch((await viewAgain(ua, consent.url)).html, /<img/);
    assert.equal(calls.length, 1, 'within the 5 min cooldown: no second fetch');
    t.advance(5 * 60_000);
    await viewAgain(ua, consent.url);
    assert.equal(calls.length, 2, 'after the cooldown: tried again');
  });

  it('reuses a cached logo within its TTL and fetches it again after', async () => {
    const { t, calls } = await serverWithLogo(png);
    const { consent, ua } = await consentPage(t);
    const src = logoSrc(consent.html)!;
    t.advance(30 * 60_000);
    assert.equal(logoSrc((await newConsent(t, ua)).html), src);
    assert.equal(calls.length, 1, 'a hit: no refetch within the TTL');
    t.advance(31 * 60_000);
    assert.equal((await t.send(src)).status, 404, 'an expired logo is not served');
    assert.equal(calls.length, 1, 'and serving never fetches');
    assert.equal(logoSrc((await newConsent(t, ua)).html), src);
    assert.equal(calls.length, 2, 'the next consent page refreshes it');
    assert.equal((await t.send(src)).status, 200);
  });

  it('fetches once for many concurrent prefetches of one URL (single-flight)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stub = stubFetch(async () => {
      await gate;
      return png();
    });
    const cache = createClientLogoCache({ fetch: stub.fetch });
    const pending = Array.from({ length: 8 }, () => cache.prefetch(LOGO_URL));
    release();
    const keys = await Promise.all(pending);
    assert.equal(stub.calls.length, 1);
    assert.deepEqual(new Set(keys), new Set([logoKeyOf(LOGO_URL)]));
    assert.equal(cache.get(logoKeyOf(LOGO_URL))?.contentType, 'image/png');
  });

  it('evicts the least recently used logo past its byte bound', async () => {
    const stub = stubFetch(() => ({
      contentType: 'image/png',
      body: Uint8Array.from([...PNG, ...new Uint8Array(1000)]),
    }));
    const cache = createClientLogoCache({ fetch: stub.fetch, maxBytes: 3000 });
    const urls = ['https://a.test/l.png', 'https://b.test/l.png', 'https://c.test/l.png'];
    for (const url of urls) assert.ok(await cache.prefetch(url));
    assert.equal(cache.get(logoKeyOf(urls[0]!)), undefined);
    assert.ok(cache.get(logoKeyOf(urls[2]!)));
  });

  it('recognises the raster types by their magic bytes, and nothing else', () => {
    assert.equal(sniffLogoType(PNG), 'image/png');
    assert.equal(sniffLogoType(JPEG), 'image/jpeg');
    assert.equal(sniffLogoType(GIF), 'image/gif');
    assert.equal(sniffLogoType(WEBP), 'image/webp');
    assert.equal(sniffLogoType(SVG), undefined);
    assert.equal(sniffLogoType(new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WAVE')), undefined);
    assert.equal(sniffLogoType(PNG.subarray(0, 7)), undefined);
  });

  it('accepts JPEG, GIF and WebP when header and bytes agree', async () => {
    for (const [contentType, body] of [
      ['image/jpeg', JPEG],
      ['image/gif', GIF],
      ['image/webp; charset=binary', WEBP],
    ] as const) {
      const stub = stubFetch(() => ({ contentType, body }));
      const cache = createClientLogoCache({ fetch: stub.fetch });
      const key = await cache.prefetch(LOGO_URL);
      assert.equal(cache.get(key!)?.contentType, contentType.split(';')[0]);
    }
  });
});
