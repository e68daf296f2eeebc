/**
 * The origin the end-to-end fetcher tests (safe-fetch-*.test.ts) fetch from: `client.test` on
 * 127.0.0.1 over real TLS with a certificate from a throwaway CA (and the same routes under another CA),
 * a fetcher built as the dev server builds it, and the shape of a refusal. Only loopback is dialled.
 */

import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before } from 'node:test';
import { createTestCa } from '../../../../test/support/test-pki.ts';
import {
  createSafeFetch,
  DEFAULT_MAX_BYTES,
  type SafeFetchError,
  type SafeFetchOptions,
  type SafeFetchReason,
} from '../../src/index.ts';
import { type LoopbackHttps, startHttps, stubResolver } from './servers.ts';

export const DOC = JSON.stringify({
  client_id: 'https://client.test/doc',
  redirect_uris: ['https://client.test/cb'],
});

export function json(res: ServerResponse, body: string, type = 'application/json'): void {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Writes `bytes` bytes of a JSON-looking body in 1 KB chunks, without Content-Length (chunked). */
export function chunked(res: ServerResponse, bytes: number): void {
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

export const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
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

export let server: LoopbackHttps;
export let untrusted: LoopbackHttps;
export let caPem: string;

/** Starts both origins before the calling file's tests and closes them after: call it at the top level. */
export function serveFixtureOrigin(): void {
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
}

/** A fetcher as the dev server would build it: test resolver, test CA, loopback allowed. */
export function devFetch(overrides: SafeFetchOptions = {}) {
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

export const at = (path: string, host = 'client.test', port = server.port): string =>
  `https://${host}:${port}${path}`;

export async function refusal(promise: Promise<unknown>, reason: SafeFetchReason): Promise<SafeFetchError> {
  const error = await promise.then(
    () => assert.fail(`expected ${reason}`),
    (e: unknown) => e as SafeFetchError,
  );
  assert.equal(error.name, 'SafeFetchError', String(error));
  assert.equal(error.reason, reason, error.message);
  return error;
}
