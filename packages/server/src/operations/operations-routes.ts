import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { outcomeOf } from '../http/request-outcome.ts';
import type { ServerApp } from '../http/server-app.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { OperationsHandlers } from './operations-endpoints.ts';
import { observeRequest } from './request-metrics.ts';

/**
 * The operations surface on the main handler (issue #8): /healthz and /readyz at the root whatever
 * the issuer's path, /metrics only when it is behind a token (`metricsServed`).
 */
export function mountOperationsRoutes(
  app: ServerApp,
  operations: OperationsHandlers,
  metricsServed: boolean,
): void {
  app.all('/healthz', (c) => operations.healthz(c.req.raw));
  app.all('/readyz', (c) => operations.readyz(c.req.raw));
  if (metricsServed) app.all('/metrics', (c) => operations.metrics(c.req.raw));
}

/** One log line and one metrics observation per request, whatever surface answered it. */
export function observeRequests(
  app: ServerApp,
  deps: { logger: Logger; metrics: ServerMetrics; basePath: string },
): void {
  const { logger, metrics, basePath } = deps;
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const outcome = outcomeOf(c.req.raw);
    // One line per request. The path only: queries and bodies carry codes and tokens. Built only
    // when `info` is on: the URL parse and the object were ~1.5 % of a PAR otherwise (issue #8).
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          method: c.req.method,
          path: new URL(c.req.url).pathname,
          status: c.res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(outcome === undefined ? {} : { outcome }),
        },
        'request',
      );
    }
    observeRequest(metrics, {
      route: routePath(c),
      basePath,
      method: c.req.method,
      status: c.res.status,
      noted: outcome,
      seconds: (performance.now() - started) / 1000,
    });
  });
}
