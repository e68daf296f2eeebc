/**
 * The fetcher end to end over real TLS on loopback: `client.test` is served on 127.0.0.1 with a
 * certificate from a throwaway CA, and the fetcher is given that CA and a resolver mapping
 * `client.test` to 127.0.0.1 by injection. Only loopback is ever dialled.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import tlsModule from 'node:tls';
import { createTestCa } from '../../../test/support/test-pki.ts';
import {
  type ConditionalHeaders,
  createSafeFetch,
  DEFAULT_MAX_BYTES,
  DEFAULT_USER_AGENT,
  type SafeFetchError,
  type SafeFetchOptions,
  type SafeFetchReason,
} from '../src/index.ts';
import {
  type ConnectProxy,
  closedPort,
  type LoopbackHttps,
  startConnectProxy,
  startHttps,
  stubResolver,
} from './support/servers.ts';

const DOC = JSON.stringify({
  client_id: 'https://client.test/doc',
  redirect_uris: ['https://client.test/cb'],
});

function json(res: ServerResponse, body: string, type = 'application/json'): void {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Writes `bytes` bytes of a JSON-looking body in 1 KB chunks, without Content-Length (chunked). */
function chunked(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(1024, left);
      left -= n;
      if (!res.write(' '.repeat(n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/doc': (_req, res) => json(res, DOC),
  '/doc-charset': (_req, res) => json(res, DOC, 'application/json; charset=utf-8'),
  '/jwks': (_req, res) => json(res, '{"keys":[]}', 'application/jwk-set+json'),
  '/cimd': (_req, res) => json(res, DOC, 'Application/CIMD+JSON'),
  '/html': (_req, res) => json(res, '<html></html>', 'text/html'),
  '/json-text': (_req, res) => json(res, DOC, 'text/json'),
  '/no-type': (_req, res) => res.writeHead(200, { 'content-length': 2 }).end('{}'),
  '/echo': (req, res) => json(res, JSON.stringify(req.headers)),
  '/chunked-over': (_req, res) => chunked(res, DEFAULT_MAX_BYTES + 1024 * 64),
  '/chunked-exact': (_req, res) => chunked(res, DEFAULT_MAX_BYTES),
  '/chunked-plus-one': (_req, res) => chunked(res, DEFAULT_MAX_BYTES + 1),
  '/length-over': (_req, res) => {
    // Declares a large body and sends nothing: only the header can make the refusal.
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 10_000_000 });
    res.flushHeaders();
  },
  '/trickle': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    const timer = setInterval(() => res.write(' '), 25);
    req.socket.once('close', () => clearInterval(timer));
  },
  '/silent': () => {
    // Accepts the request and never answers: headers never come.
  },
  '/redirect': (_req, res) => res.writeHead(302, { location: 'https://elsewhere.test/doc' }).end(),
  '/redirect-301': (_req, res) => res.writeHead(301, { location: '/moved' }).end(),
  '/redirect-307': (_req, res) => res.writeHead(307, { location: 'https://169.254.169.254/' }).end(),
  '/redirect-308': (_req, res) => res.writeHead(308, { location: 'https://client.test/doc' }).end(),
  '/not-modified': (req, res) => {
    if (req.headers['if-none-match'] === '"v1"' || req.headers['if-modified-since'] !== undefined) {
      res.writeHead(304, { etag: '"v1"' }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(DOC);
    }
  },
  '/always-304': (_req, res) => res.writeHead(304).end(),
  '/gzip': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end('\x1f\x8b'),
  '/identity': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'identity' }).end('{}'),
  '/br': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' }).end(),
};
for (const status of [201, 202, 204, 206, 400, 401, 403, 404, 410, 429, 500, 502, 503]) {
  routes[`/status-${status}`] = (_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end();
}

let server: LoopbackHttps;
let untrusted: LoopbackHttps;
let caPem: string;

before(async () => {
  const ca = await createTestCa();
  caPem = ca.certPem;
  const leaf = await ca.issue(['client.test', 'other.test', 'localhost.']);
  const stranger = await (await createTestCa('Some other CA')).issue(['client.test']);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const route = routes[new URL(req.url ?? '/', 'https://x').pathname];
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  };
  server = await startHttps(leaf, handler);
  untrusted = await startHttps(stranger, handler);
});

after(async () => {
  await server.close();
  await untrusted.close();
});

/** A fetcher as the dev server would build it: test resolver, test CA, loopback allowed. */
function devFetch(overrides: SafeFetchOptions = {}) {
  const stub = stubResolver({ 'client.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
  const refusals: SafeFetchError[] = [];
  const safeFetch = createSafeFetch({
    resolver: stub.resolver,
    ca: caPem,
    allowLoopback: true,
    onRefusal: (e) => refusals.push(e),
    ...overrides,
  });
  return { safeFetch, calls: stub.calls, refusals };
}

const at = (path: string, host = 'client.test', port = server.port): string =>
  `https://${host}:${port}${path}`;

async function refusal(promise: Promise<unknown>, reason: SafeFetchReason): Promise<SafeFetchError> {
  const error = await promise.then(
    () => assert.fail(`expected ${reason}`),
    (e: unknown) => e as SafeFetchError,
  );
  assert.equal(error.name, 'SafeFetchError', String(error));
  assert.equal(error.reason, reason, error.message);
  return error;
}

describe('success', () => {
  test('200 JSON over TLS from the pinned, checked address', async () => {
    const { safeFetch, calls } = devFetch();
    const res = await safeFetch(at('/doc'));
    assert.equal(res.status, 200);
    assert.equal(res.url, at('/doc'));
    assert.deepEqual(res.json(), JSON.parse(DOC));
    assert.equal(res.text(), DOC);
    assert.ok(res.body instanceof Uint8Array);
    assert.equal(res.headers.get('content-type'), 'application/json');
    // One resolution, and the socket is connected to the address that resolution returned.
    assert.deepEqual(calls, ['client.test']);
    assert.equal(res.remoteAddress, '127.0.0.1');
  });

  test('application/json with parameters and application/<x>+json are JSON (CIMD-FETCH-12)', async () => {
    const { safeFetch } = devFetch();
    for (const path of ['/doc-charset', '/jwks', '/cimd']) {
      assert.equal((await safeFetch(at(path))).status, 200, path);
    }
  });

  test('request carries a fixed User-Agent, Accept, identity encoding, and no credentials', async () => {
    const { safeFetch } = devFetch();
    const sent = (await safeFetch(at('/echo'))).json() as Record<string, string>;
    assert.equal(sent['user-agent'], DEFAULT_USER_AGENT);
    assert.equal(sent.accept, 'application/json');
    assert.equal(sent['accept-encoding'], 'identity');
    assert.equal(sent.host, `client.test:${server.port}`);
    for (const name of ['cookie', 'authorization', 'proxy-authorization', 'if-none-match']) {
      assert.equal(sent[name], undefined, name);
    }
    const custom = devFetch({ userAgent: 'Gatehouse-test/1', accept: 'application/cimd+json' });
    // Only the two validators are taken from the caller; anything else smuggled in is not sent.
    const smuggled = {
      'if-none-match': '"x"',
      authorization: 'Bearer t',
      cookie: 'a=b',
    } as ConditionalHeaders;
    const again = (await custom.safeFetch(at('/echo'), { headers: smuggled })).json() as Record<
      string,
      string
    >;
    assert.equal(again['if-none-match'], '"x"');
    assert.equal(again.authorization, undefined);
    assert.equal(again.cookie, undefined);
    assert.equal(again['user-agent'], 'Gatehouse-test/1');
    assert.equal(again.accept, 'application/cimd+json');
  });

  test('a body of exactly maxBytes is accepted', async () => {
    const { safeFetch } = devFetch();
    const res = await safeFetch(at('/chunked-exact'));
    assert.equal(res.body.byteLength, DEFAULT_MAX_BYTES);
  });

  test('expectJson: false lets other media types through (logos)', async () => {
    const { safeFetch } = devFetch();
    const res = await safeFetch(at('/html'), { expectJson: false, accept: 'text/html' });
    assert.equal(res.text(), '<html></html>');
  });

  test('Content-Encoding: identity is accepted', async () => {
    const { safeFetch } = devFetch();
    assert.equal((await safeFetch(at('/identity'))).status, 200);
  });

  test('caMode replace trusts only the given CA', async () => {
    const { safeFetch } = devFetch({ caMode: 'replace' });
    assert.equal((await safeFetch(at('/doc'))).status, 200);
  });
});

describe('status (CIMD-FETCH-3, CIMD-FETCH-4)', () => {
  test('a redirect is refused, naming the Location it did not follow', async () => {
    const { safeFetch, refusals } = devFetch();
    const cases: [string, number, string][] = [
      ['/redirect', 302, 'https://elsewhere.test/doc'],
      ['/redirect-301', 301, '/moved'],
      ['/redirect-307', 307, 'https://169.254.169.254/'],
      ['/redirect-308', 308, 'https://client.test/doc'],
    ];
    for (const [path, status, location] of cases) {
      const error = await refusal(safeFetch(at(path)), 'redirect_refused');
      assert.equal(error.status, status);
      assert.equal(error.location, location);
      assert.match(error.message, new RegExp(location.replaceAll('.', '\\.')));
    }
    assert.equal(refusals.length, cases.length);
    assert.ok(refusals.every((e) => e.reason === 'redirect_refused'));
  });

  for (const status of [201, 202, 204, 206, 400, 401, 403, 404, 410, 429, 500, 502, 503]) {
    test(`HTTP ${status} is an error carrying the status`, async () => {
      const { safeFetch } = devFetch();
      const error = await refusal(safeFetch(at(`/status-${status}`)), 'status_not_200');
      assert.equal(error.status, status);
    });
  }

  test('304 is returned only to a conditional request', async () => {
    const { safeFetch } = devFetch();
    const first = await safeFetch(at('/not-modified'));
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag') ?? '';
    const revalidated = await safeFetch(at('/not-modified'), { headers: { 'if-none-match': etag } });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.byteLength, 0);
    assert.equal(revalidated.headers.get('etag'), '"v1"');
    const byDate = await safeFetch(at('/not-modified'), {
      headers: { 'if-modified-since': 'Tue, 01 Jul 2025 00:00:00 GMT' },
    });
    assert.equal(byDate.status, 304);
    const error = await refusal(safeFetch(at('/always-304')), 'status_not_200');
    assert.equal(error.status, 304);
  });
});

describe('body (CIMD-FETCH-10, CIMD-FETCH-12, decompression)', () => {
  test('a chunked body over the cap is cut while streaming', async () => {
    const { safeFetch } = devFetch();
    const error = await refusal(safeFetch(at('/chunked-over')), 'body_too_large');
    assert.equal(error.limit, DEFAULT_MAX_BYTES);
    await refusal(safeFetch(at('/chunked-plus-one')), 'body_too_large');
  });

  test('the cap is configurable per fetcher and per call', async () => {
    const small = devFetch({ maxBytes: 50 });
    const error = await refusal(small.safeFetch(at('/doc')), 'body_too_large');
    assert.equal(error.limit, 50);
    const res = await small.safeFetch(at('/chunked-over'), { maxBytes: 1024 * 1024 });
    assert.equal(res.body.byteLength, DEFAULT_MAX_BYTES + 1024 * 64);
  });

  test('a Content-Length over the cap is refused before the body is read', async () => {
    const { safeFetch } = devFetch();
    const error = await refusal(safeFetch(at('/length-over'), { deadlineMs: 30_000 }), 'body_too_large');
    assert.match(error.message, /Content-Length 10000000/);
  });

  test('non-JSON media types are refused when JSON is expected', async () => {
    const { safeFetch } = devFetch();
    for (const path of ['/html', '/json-text', '/no-type']) {
      const error = await refusal(safeFetch(at(path)), 'content_type');
      assert.equal(typeof error.value, 'string', path);
    }
  });

  test('a compressed body is refused even though identity was asked for', async () => {
    const { safeFetch } = devFetch();
    assert.equal((await refusal(safeFetch(at('/gzip')), 'content_encoding')).value, 'gzip');
    assert.equal((await refusal(safeFetch(at('/br')), 'content_encoding')).value, 'br');
  });
});

describe('one deadline over connect, headers and body', () => {
  test('a server trickling bytes is cut at the deadline', async () => {
    const { safeFetch } = devFetch({ deadlineMs: 300 });
    await refusal(safeFetch(at('/trickle')), 'deadline_exceeded');
  });

  test('a server that never answers is cut at the deadline', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/silent'), { deadlineMs: 300 }), 'deadline_exceeded');
  });

  test('a resolver that never answers is cut at the deadline, and nothing is dialled', async () => {
    const before = server.connections();
    const { safeFetch } = devFetch({ resolver: () => new Promise(() => undefined), deadlineMs: 300 });
    await refusal(safeFetch(at('/doc')), 'deadline_exceeded');
    assert.equal(server.connections(), before);
  });

  test("the caller's signal aborts the fetch", async () => {
    const { safeFetch } = devFetch();
    const controller = new AbortController();
    const pending = safeFetch(at('/silent'), { signal: controller.signal, deadlineMs: 30_000 });
    setTimeout(() => controller.abort(new Error('shutdown')), 50);
    await refusal(pending, 'aborted');
    await refusal(safeFetch(at('/doc'), { signal: AbortSignal.abort() }), 'aborted');
  });
});

describe('connect-time address check (CIMD-FETCH-5, -6, -7, -14)', () => {
  const loopbackAnswers = [['127.0.0.1'], ['127.0.0.2'], ['::ffff:127.0.0.1'], ['127.0.0.1', '127.0.0.2']];
  for (const answers of loopbackAnswers) {
    test(`without allowLoopback, ${answers.join(', ')} is refused before any connection`, async () => {
      const before = server.connections();
      const stub = stubResolver({ 'client.test': answers });
      const { safeFetch, refusals } = devFetch({ resolver: stub.resolver, allowLoopback: false });
      const error = await refusal(safeFetch(at('/doc')), 'special_purpose_address');
      assert.equal(error.address, answers[0]);
      assert.equal(error.url, at('/doc'));
      assert.match(error.range ?? '', /Loopback/);
      assert.equal(server.connections(), before, 'no TCP connection was made');
      assert.deepEqual(stub.calls, ['client.test']);
      assert.equal(refusals[0], error);
    });
  }

  test('trailing-dot hostnames go through the same check', async () => {
    const before = server.connections();
    const stub = stubResolver({ 'localhost.': ['127.0.0.1'] });
    const { safeFetch } = devFetch({ resolver: stub.resolver, allowLoopback: false });
    await refusal(safeFetch(at('/doc', 'localhost.')), 'special_purpose_address');
    assert.deepEqual(stub.calls, ['localhost.']);
    assert.equal(server.connections(), before);
  });

  // Rebinding-style answers: an acceptable first answer with a forbidden one behind it. The whole
  // name is refused; nothing is dialled (the first answer is loopback, so even a bug here could only
  // ever reach this test's own server).
  for (const forbidden of ['10.0.0.1', '169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1']) {
    test(`multi-answer [127.0.0.1, ${forbidden}] is refused as a whole, even with allowLoopback`, async () => {
      const before = server.connections();
      const stub = stubResolver({ 'client.test': ['127.0.0.1', forbidden] });
      const { safeFetch } = devFetch({ resolver: stub.resolver });
      const error = await refusal(safeFetch(at('/doc')), 'special_purpose_address');
      assert.equal(error.address, forbidden);
      assert.equal(server.connections(), before, 'no TCP connection was made');
    });
  }

  test('the IPv6 loopback works with allowLoopback when the server listens there', async () => {
    // Our server listens on 127.0.0.1 only: an ::1 answer passes the check and then fails to
    // connect, proving the check lets ::1 through and the dial goes where the answer said.
    const stub = stubResolver({ 'client.test': ['::1'] });
    const { safeFetch } = devFetch({ resolver: stub.resolver });
    const error = await refusal(safeFetch(at('/doc')), 'connect_failed');
    assert.match(String((error.cause as Error | undefined)?.message), /::1/);
  });

  test('dns failure is typed', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/doc', 'unknown.test')), 'dns_failure');
    const empty = devFetch({ resolver: async () => [] });
    await refusal(empty.safeFetch(at('/doc')), 'dns_failure');
  });

  test('a refused connection is connect_failed', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/doc', 'client.test', await closedPort())), 'connect_failed');
  });
});

describe('TLS', () => {
  test('a certificate from an unknown CA is refused', async () => {
    const { safeFetch } = devFetch();
    await refusal(safeFetch(at('/doc', 'client.test', untrusted.port)), 'tls');
  });

  test('without the injected CA the test CA is not trusted', async () => {
    const stub = stubResolver({ 'client.test': ['127.0.0.1'] });
    const safeFetch = createSafeFetch({ resolver: stub.resolver, allowLoopback: true });
    await refusal(safeFetch(at('/doc')), 'tls');
  });

  test('the trust (CA list) is built once per fetcher, while every fetch still dials through the address check', async () => {
    // Issue #8: with `ca`, tls.connect built a SecureContext from ~150 roots on every connection.
    // A spy (not a stub) on the function tls.connect calls for that counts those builds.
    const { safeFetch, calls } = devFetch();
    const real = tlsModule.createSecureContext;
    let built = 0;
    tlsModule.createSecureContext = (...args: Parameters<typeof real>) => {
      built++;
      return real(...args);
    };
    try {
      for (let i = 0; i < 3; i++) assert.equal((await safeFetch(at('/doc'))).status, 200);
    } finally {
      tlsModule.createSecureContext = real;
    }
    assert.equal(built, 0, 'no SecureContext per connection');
    assert.deepEqual(calls, ['client.test', 'client.test', 'client.test'], 'one checked lookup per connect');
  });

  test('a certificate for another name is refused', async () => {
    const stub = stubResolver({ 'wrong.test': ['127.0.0.1'] });
    const { safeFetch } = devFetch({ resolver: stub.resolver });
    await refusal(safeFetch(at('/doc', 'wrong.test')), 'tls');
  });
});

describe('egress proxy (CIMD-FETCH-8)', () => {
  let proxy: ConnectProxy;
  before(async () => {
    proxy = await startConnectProxy();
  });
  after(async () => {
    await proxy.close();
  });

  test('fetches through a CONNECT proxy that does the name resolution', async () => {
    const stub = stubResolver({});
    const safeFetch = createSafeFetch({ proxy: proxy.url, ca: caPem, resolver: stub.resolver });
    const res = await safeFetch(at('/doc'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), JSON.parse(DOC));
    assert.deepEqual(proxy.targets, [`client.test:${server.port}`]);
    assert.deepEqual(stub.calls, [], 'the proxy resolved the name, not us');
    assert.equal(res.remoteAddress, undefined);
  });

  test('URL-level checks still run in proxy mode', async () => {
    const safeFetch = createSafeFetch({ proxy: proxy.url, ca: caPem });
    const seen = proxy.targets.length;
    await refusal(safeFetch('https://10.0.0.1/doc'), 'special_purpose_address');
    await refusal(safeFetch('https://[::ffff:a9fe:a9fe]/'), 'special_purpose_address');
    await refusal(safeFetch('http://client.test/doc'), 'scheme_not_https');
    assert.equal(proxy.targets.length, seen, 'nothing reached the proxy');
  });

  test('redirects and status rules apply through the proxy too', async () => {
    const safeFetch = createSafeFetch({ proxy: proxy.url, ca: caPem });
    const error = await refusal(safeFetch(at('/redirect')), 'redirect_refused');
    assert.equal(error.location, 'https://elsewhere.test/doc');
  });
});

test('invalid limits are programming errors, not refusals', async () => {
  assert.throws(() => createSafeFetch({ maxBytes: 0 }), TypeError);
  assert.throws(() => createSafeFetch({ deadlineMs: -1 }), TypeError);
  assert.throws(() => createSafeFetch({ caMode: 'replace' }), TypeError);
  const { safeFetch, refusals } = devFetch();
  await assert.rejects(safeFetch(at('/doc'), { maxBytes: 1.5 }), TypeError);
  assert.equal(refusals.length, 0);
});

test('a throwing onRefusal hook does not change the outcome', async () => {
  const { safeFetch } = devFetch({
    onRefusal: () => {
      throw new Error('metrics down');
    },
  });
  await refusal(safeFetch(at('/status-404')), 'status_not_200');
});
