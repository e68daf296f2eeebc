/**
 * `gatehouse serve` with `metrics.listen` (issue #8, docs/operations.md): /metrics, /healthz and
 * /readyz on a listener of their own, /metrics not on the main listener without a token. One real
 * child process (slow), on loopback only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { CLI, start } from './support/cli-process.ts';

describe('gatehouse serve: metrics listener', () => {
  it('configures /metrics off the main listener and without a separate one by default', () => {
    const defaults = loadConfig({}).metrics;
    assert.deepEqual(defaults, { enabled: true, processMetrics: true });
    const set = loadConfig({
      env: { GATEHOUSE_METRICS__LISTEN__PORT: '9464', GATEHOUSE_METRICS__TOKEN: 'x'.repeat(32) },
    }).metrics;
    assert.deepEqual(set.listen, { host: '127.0.0.1', port: 9464 });
    assert.throws(
      () => loadConfig({ env: { GATEHOUSE_METRICS__TOKEN: 'short' } }),
      /GATEHOUSE_METRICS__TOKEN: must be at least 16 characters/,
    );
    assert.match(
      loadConfig({ env: { GATEHOUSE_METRICS__LISTEN__HOTS: 'x' } }).warnings.join('\n'),
      /GATEHOUSE_METRICS__LISTEN__HOTS .* the nearest setting is GATEHOUSE_METRICS__LISTEN__HOST$/,
    );
  });

  it('serves /metrics, /healthz and /readyz on the separate listener, and /metrics there moves with traffic', async () => {
    const server = start([CLI, 'serve', '--port', '0', '--store', 'memory'], /Stop with Ctrl-C/, {
      GATEHOUSE_METRICS__LISTEN__PORT: '0',
      GATEHOUSE_LOG_LEVEL: 'warn',
    });
    try {
      await server.matched;
      const issuer = /Issuer: (http:\/\/localhost:\d+)/.exec(server.output())?.[1];
      const metricsUrl = /metrics: +(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(server.output())?.[1];
      assert.ok(issuer, server.output());
      assert.ok(metricsUrl, server.output());
      assert.notEqual(new URL(issuer).port, new URL(metricsUrl).port);

      assert.equal((await fetch(`${issuer}/.well-known/oauth-authorization-server`)).status, 200);
      // No token configured: the main listener does not serve /metrics; it does serve the probes.
      assert.equal((await fetch(`${issuer}/metrics`)).status, 404);
      assert.equal((await fetch(`${issuer}/healthz`)).status, 200);
      assert.equal((await fetch(`${issuer}/readyz`)).status, 200);

      assert.deepEqual(await (await fetch(`${metricsUrl}/healthz`)).json(), { status: 'ok' });
      assert.deepEqual(await (await fetch(`${metricsUrl}/readyz`)).json(), { status: 'ok' });
      const scraped = await fetch(`${metricsUrl}/metrics`);
      assert.equal(scraped.status, 200);
      const text = await scraped.text();
      assert.match(
        text,
        /gatehouse_http_requests_total\{endpoint="metadata",method="GET",status="200",outcome="ok"\} 1\n/,
      );
      assert.match(
        text,
        /gatehouse_http_requests_total\{endpoint="not_found",method="GET",status="404",outcome="not_found"\} 1\n/,
      );
      assert.match(text, /^process_cpu_user_seconds_total /m, 'process metrics in serve, standard names');
      assert.match(text, /^nodejs_eventloop_lag_seconds /m);
      // Only the operations paths there.
      assert.equal((await fetch(`${metricsUrl}/.well-known/oauth-authorization-server`)).status, 404);
    } finally {
      server.child.kill();
    }
  });
});
