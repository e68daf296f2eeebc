/**
 * What an operator reads (issue #8, docs/operations.md, decision 0014): the Prometheus metrics
 * after a real flow through `server.fetch` (code flow, refresh, refresh reuse, DCR, CIMD), liveness
 * and readiness, and who may read /metrics.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthorizationServer, createLogger } from '../src/index.ts';
import { endpointName } from '../src/operations/request-metrics.ts';
import { reapRegistrations } from '../src/registration/reaper.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import type { Store } from '../src/store/store.ts';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './support/test-server.ts';

const TOKEN = 'a-metrics-token-long-enough-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, samples only (`# HELP` and `# TYPE` lines skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of match[2]?.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g) ?? [])
      labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function sampleSum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(send: (url: string, init?: RequestInit) => Promise<Response>): Promise<Sample[]> {
  const response = await send('https://as.example.test/metrics', { headers: bearer });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return parseMetrics(await response.text());
}

describe('metrics after a flow (issue #8)', () => {
  it('counts requests per route and outcome, tokens, refresh reuse, registrations, reaping and CIMD fetches', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    const t = await createTestServer({
      outboundFetch: documents.fetch,
      operations: { metricsToken: TOKEN },
      registration: { rateLimits: { perIp: { limit: 1, windowSeconds: 600 } } },
    });

    // Code flow, refresh, then the first refresh token again after the grace window: reuse.
    const tokens = await t.tokensFor();
    const refresh = (refreshToken: string) =>
      t.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'public-app' });
    assert.equal((await refresh(tokens.refresh_token!)).status, 200);
    t.advance(11_000);
    const reused = await refresh(tokens.refresh_token!);
    assert.equal(reused.status, 400);

    // DCR: one refused, one registered, one rate limited (the per-IP limit is 1).
    const refused = await t.register(
      { redirect_uris: ['http://app.example.test/cb'] },
      {},
      {
        remoteAddress: '192.0.2.2',
      },
    );
    assert.equal(refused.status, 400);
    const client = { redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'none' };
    assert.equal((await t.register(client)).status, 201);
    assert.equal((await t.register(client)).status, 429);

    // CIMD: a document fetched and used, and one that is refused (404 at its origin).
    const page = await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    assert.equal(page.status, 303, 'on to the login page');
    const missing = await t.send(
      t.authorizationUrl({ client_id: 'https://client.example.test/missing.json' }),
    );
    assert.equal(missing.status, 400);
    // A second request for the same document within its freshness is a cache hit.
    await t.send(t.authorizationUrl({ client_id: CIMD_URL }));

    // DCR-SEC-7: the registration was never used; a day later it is reaped, through ctx.audit.
    t.advance(25 * 3600 * 1000);
    assert.equal(await reapRegistrations({ store: t.store, clock: t.now, lifecycle: t.server.clients }), 1);

    await t.send(`${ISSUER}/no/such/path/${'x'.repeat(20)}`);
    const m = await scrape(t.send);

    const requests = 'gatehouse_http_requests_total';
    assert.equal(
      sampleSum(m, requests, { endpoint: 'token', method: 'POST', status: '200', outcome: 'ok' }),
      2,
    );
    assert.equal(sampleSum(m, requests, { endpoint: 'token', status: '400', outcome: 'invalid_grant' }), 1);
    assert.ok(sampleSum(m, requests, { endpoint: 'authorize', method: 'GET', outcome: 'ok' }) >= 2);
    assert.equal(
      sampleSum(m, requests, { endpoint: 'authorize', status: '400', outcome: 'invalid_client' }),
      1,
    );
    assert.ok(sampleSum(m, requests, { endpoint: 'interaction_login', method: 'POST' }) >= 1);
    assert.equal(sampleSum(m, requests, { endpoint: 'register', status: '201', outcome: 'ok' }), 1);
    assert.equal(sampleSum(m, requests, { endpoint: 'register', outcome: 'invalid_redirect_uri' }), 1);
    assert.equal(
      sampleSum(m, requests, { endpoint: 'register', status: '429', outcome: 'temporarily_unavailable' }),
      1,
    );
    assert.equal(sampleSum(m, requests, { endpoint: 'not_found', status: '404', outcome: 'not_found' }), 1);
    // Bounded label values: route names, never the raw path.
    const endpoints = new Set(m.filter((s) => s.name === requests).map((s) => s.labels.endpoint!));
    assert.ok(endpoints.size >= 4, `the label check saw only ${[...endpoints].join(', ')}`);
    for (const endpoint of endpoints) assert.match(endpoint, /^[a-z_]+$/);
    assert.equal(
      sampleSum(m, 'gatehouse_http_request_duration_seconds_count', { endpoint: 'token', outcome: 'ok' }),
      2,
    );
    assert.equal(
      sampleSum(m, 'gatehouse_http_request_duration_seconds_bucket', {
        endpoint: 'token',
        outcome: 'ok',
        le: '+Inf',
      }),
      2,
    );

    assert.equal(sampleSum(m, 'gatehouse_tokens_issued_total', { grant_type: 'authorization_code' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_tokens_issued_total', { grant_type: 'refresh_token' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_refresh_token_reuse_detected_total'), 1);

    assert.equal(sampleSum(m, 'gatehouse_dcr_registrations_total', { outcome: 'registered' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_dcr_registrations_total', { outcome: 'refused' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_dcr_registrations_total', { outcome: 'rate_limited' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_dcr_reaped_total', { reason: 'never_used' }), 1);
    assert.equal(
      sampleSum(m, 'gatehouse_client_lifecycle_total', { action: 'removed', reason: 'never_used' }),
      1,
    );

    assert.equal(sampleSum(m, 'gatehouse_cimd_fetches_total', { outcome: 'ok' }), 1);
    assert.equal(
      sampleSum(m, 'gatehouse_cimd_fetches_total', { outcome: 'failed', reason: 'status_not_200' }),
      1,
    );
    assert.equal(sampleSum(m, 'gatehouse_cimd_refusals_total', { reason: 'status_not_200' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_cimd_cache_events_total', { event: 'miss' }), 2);
    assert.ok(sampleSum(m, 'gatehouse_cimd_cache_events_total', { event: 'hit' }) >= 1);

    const audit = 'gatehouse_audit_events_total';
    assert.equal(sampleSum(m, audit, { type: 'token.issued' }), 2);
    assert.equal(sampleSum(m, audit, { type: 'refresh_token.reused' }), 1);
    assert.equal(sampleSum(m, audit, { type: 'client.registered' }), 1);
    assert.equal(sampleSum(m, audit, { type: 'client.removed' }), 1);
    assert.equal(sampleSum(m, audit, { type: 'cimd.refused' }), 1);
    assert.equal(sampleSum(m, audit, { type: 'login.succeeded' }), 1);
    // Every audit event the store took was counted.
    assert.equal(sampleSum(m, audit), (await t.store.audit.list({ limit: 1000 })).length);
  });

  it('counts document fetches the governor sheds, by reason, and they never reach the network', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    // A bucket of a tenth of a fetch: the host's first fetch is already over its rate.
    const t = await createTestServer({
      outboundFetch: documents.fetch,
      operations: { metricsToken: TOKEN },
      cimd: { fetchesPerSecondPerHost: 0.1 },
    });
    assert.equal((await t.send(t.authorizationUrl({ client_id: CIMD_URL }))).status, 400);
    assert.equal(documents.fetches(CIMD_URL), 0);
    const m = await scrape(t.send);
    assert.equal(sampleSum(m, 'gatehouse_cimd_governor_rejections_total', { reason: 'host_rate' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_cimd_cache_events_total', { event: 'governor_refused' }), 1);
    assert.equal(sampleSum(m, 'gatehouse_cimd_fetches_total'), 0);
  });

  it('carries the process metrics under their standard names when asked to', async () => {
    const t = await createTestServer({ operations: { metricsToken: TOKEN, processMetrics: true } });
    const m = await scrape(t.send);
    // The names stock Node.js dashboards query (issue #16): no `gatehouse_` prefix on these.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.ok(
        m.some((s) => s.name === name),
        name,
      );
    }
    assert.ok(!m.some((s) => /^gatehouse_(process|nodejs)_/.test(s.name)));
    // The first scrape is counted by the second.
    const again = await scrape(t.send);
    assert.ok(
      again.some((s) => s.name.startsWith('gatehouse_http_')),
      'our own metrics keep the prefix',
    );
    const plain = await createTestServer({ operations: { metricsToken: TOKEN } });
    assert.ok(!(await scrape(plain.send)).some((s) => /^(process|nodejs)_/.test(s.name)));
  });

  it('names endpoints by route, not by path', () => {
    const table: [string, string, string][] = [
      ['/token', '', 'token'],
      ['/tenant/token', '/tenant', 'token'],
      ['/interaction/:id/login', '', 'interaction_login'],
      ['/interaction/:id', '', 'interaction'],
      ['/client-logo/:key', '', 'client_logo'],
      ['/register/:client_id', '', 'client_configuration'],
      ['/tenant/register/:client_id', '/tenant', 'client_configuration'],
      ['/.well-known/oauth-authorization-server/tenant', '/tenant', 'metadata'],
      ['/tenant/.well-known/openid-configuration', '/tenant', 'metadata'],
      ['/healthz', '/tenant', 'healthz'],
      ['/metrics', '', 'metrics'],
      ['/*', '', 'not_found'],
      ['*', '', 'not_found'],
    ];
    for (const [route, base, name] of table) assert.equal(endpointName(route, base), name, route);
  });
});

/** A store whose reads never return, or throw as a store that lost its database does. */
function brokenStore(mode: 'throws' | 'hangs', calls = { count: 0 }): Store {
  const store = createMemoryStore();
  const clients = new Proxy(store.clients, {
    get(target, property, receiver) {
      if (property !== 'get') return Reflect.get(target, property, receiver);
      return () => {
        calls.count++;
        if (mode === 'hangs') return new Promise(() => undefined);
        const error = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        return Promise.reject(Object.assign(error, { [Symbol.for('gatehouse.store_unavailable')]: true }));
      };
    },
  });
  return new Proxy(store, {
    get: (target, property, receiver) =>
      property === 'clients' ? clients : Reflect.get(target, property, receiver),
  });
}

describe('/healthz and /readyz', () => {
  it('/healthz answers 200 while the process runs, at the root whatever the issuer path', async () => {
    const server = createAuthorizationServer({ issuer: `${ISSUER}/tenant`, store: brokenStore('throws') });
    const response = await server.fetch(new Request(`${ISSUER}/healthz`));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const head = await server.fetch(new Request(`${ISSUER}/healthz`, { method: 'HEAD' }));
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await server.fetch(new Request(`${ISSUER}/healthz`, { method: 'POST' }))).status, 405);
    assert.equal((await server.fetch(new Request(`${ISSUER}/tenant/healthz`))).status, 404);
  });

  it('/readyz answers 200 when the store answers a read', async () => {
    const t = await createTestServer();
    const response = await t.send(`${ISSUER}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('/readyz answers 503 when the store read fails, and when it does not answer in time', async () => {
    for (const mode of ['throws', 'hangs'] as const) {
      const server = createAuthorizationServer({
        issuer: ISSUER,
        store: brokenStore(mode),
        operations: { readinessTimeoutMs: 20 },
      });
      const response = await server.fetch(new Request(`${ISSUER}/readyz`));
      assert.equal(response.status, 503, mode);
      assert.deepEqual(await response.json(), { status: 'unavailable' });
      assert.equal(response.headers.get('cache-control'), 'no-store');
      // Liveness does not depend on the store.
      assert.equal((await server.fetch(new Request(`${ISSUER}/healthz`))).status, 200);
      assert.equal((await server.operations.fetch(new Request('http://127.0.0.1:9090/readyz'))).status, 503);
    }
  });

  it('concurrent readiness probes share one store read', async () => {
    const calls = { count: 0 };
    const server = createAuthorizationServer({
      issuer: ISSUER,
      store: brokenStore('hangs', calls),
      operations: { readinessTimeoutMs: 20 },
    });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => server.fetch(new Request(`${ISSUER}/readyz`))),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      [503, 503, 503, 503, 503],
    );
    assert.equal(calls.count, 1);
  });
});

describe('/readyz proves the store can write (issue #18 finding 7)', () => {
  it('answers 503 when reads work but writes fail (a full disk, a read-only data directory), with the reason in the log', async () => {
    const store = createMemoryStore();
    const replay = new Proxy(store.replay, {
      get(target, property, receiver) {
        if (property !== 'remember') return Reflect.get(target, property, receiver);
        return () =>
          Promise.reject(
            Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 }),
          );
      },
    });
    const lines: { msg?: string; stage?: string; err?: { message?: string } }[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const server = createAuthorizationServer({
      issuer: ISSUER,
      store: new Proxy(store, {
        get: (target, property, receiver) =>
          property === 'replay' ? replay : Reflect.get(target, property, receiver),
      }),
      logger,
    });
    const response = await server.fetch(new Request(`${ISSUER}/readyz`));
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { status: 'unavailable' });
    const line = lines.find((entry) => entry.msg === 'readiness: the store cannot write');
    assert.equal(line?.stage, 'write');
    assert.match(line?.err?.message ?? '', /disk is full/);
  });

  it('answers 200 on a store that reads and writes, and leaves nothing that outlives a minute', async () => {
    const t = await createTestServer();
    assert.equal((await t.send(`${ISSUER}/readyz`)).status, 200);
  });
});

describe('a store outage (docs/errors.md, "any endpoint, store outage")', () => {
  it('is 503 temporarily_unavailable for store_unavailable, with Retry-After: 1, not a 500', async () => {
    const t = await createTestServer({ store: brokenStore('throws') });
    const token = await t.token({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'public-app' });
    const { body } = await assertRefusal(t, token, {
      status: 503,
      error: 'temporarily_unavailable',
      reason: 'store_unavailable',
    });
    assert.ok(body);
    assert.equal(token.headers.get('retry-after'), '1');
    // The authorization endpoint shows its error page with the same status. (Its request outcome
    // carries no reason for an outage: authorizationError() answers it without the request.)
    const page = await t.send(t.authorizationUrl());
    assert.equal(page.status, 503);
    assert.equal(page.headers.get('retry-after'), '1');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  });
});

describe('/metrics access', () => {
  it('is not served on the main handler without a token; the operations handler serves it', async () => {
    const t = await createTestServer();
    assert.equal((await t.send(`${ISSUER}/metrics`)).status, 404);
    const response = await t.server.operations.fetch(new Request('http://127.0.0.1:9090/metrics'));
    assert.equal(response.status, 200);
    assert.match(await response.text(), /# TYPE gatehouse_http_requests_total counter/);
    assert.equal((await t.server.operations.fetch(new Request('http://127.0.0.1:9090/token'))).status, 404);
    assert.equal((await t.server.operations.fetch(new Request('http://127.0.0.1:9090/healthz'))).status, 200);
  });

  it('asks for the bearer token when one is configured, on every handler (401 without it)', async () => {
    const t = await createTestServer({ operations: { metricsToken: TOKEN } });
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: TOKEN },
    ]) {
      const response = await t.send(`${ISSUER}/metrics`, { headers });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="gatehouse-metrics"');
      assert.doesNotMatch(await response.text(), /gatehouse_http/);
      const private_ = await t.server.operations.fetch(
        new Request('http://127.0.0.1:9090/metrics', { headers }),
      );
      assert.equal(private_.status, 401);
    }
    assert.equal((await t.send(`${ISSUER}/metrics`, { headers: bearer })).status, 200);
    assert.equal(
      (await t.send(`${ISSUER}/metrics`, { headers: { authorization: `bearer  ${TOKEN}` } })).status,
      200,
    );
    assert.equal((await t.send(`${ISSUER}/metrics`, { method: 'POST', headers: bearer })).status, 405);
    // The scrape itself is counted, refusals included.
    const m = await scrape(t.send);
    assert.equal(sampleSum(m, 'gatehouse_http_requests_total', { endpoint: 'metrics', status: '401' }), 3);
  });

  it('refuses a short token at start', () => {
    assert.throws(
      () =>
        createAuthorizationServer({
          issuer: ISSUER,
          store: createMemoryStore(),
          operations: { metricsToken: 'short' },
        }),
      /at least 16 characters/,
    );
  });
});
