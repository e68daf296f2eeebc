import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { requestIdFor, requestScope, withRequestScope } from '../http/request-id.ts';
import { outcomeOf } from '../http/request-outcome.ts';
import { carriesAnswerHeaders, withHeaders } from '../http/responses.ts';
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

/** The request line (docs/operations.md "Logs"). */
interface RequestLine {
  request_id: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  client_id?: string;
  error?: string;
  reason?: string | undefined;
}

/** Longest client_id written to a log line: a refused request's client_id is whatever it sent. */
const MAX_LOGGED_CLIENT_ID = 200;

/**
 * One log line and one metrics observation per request, whatever surface answered it. Every request
 * gets an id (decision 0028): every line written while it is served carries it, and so does the
 * answer's `X-Request-Id`.
 */
export function observeRequests(
  app: ServerApp,
  deps: { logger: Logger; metrics: ServerMetrics; basePath: string },
): void {
  const { logger, metrics, basePath } = deps;
  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFor(c.req.raw);
    const scope = requestScope(requestId);
    await withRequestScope(scope, next);
    // Every answer (errors and the 404 included) carries the request's answer headers: built with
    // them (jsonResponse), or set here once the endpoint has answered. Assigned back only when
    // copied: Hono's setter copies whatever it is given.
    if (!carriesAnswerHeaders(c.res)) {
      const answered = withHeaders(c.res, scope.answerHeaders);
      if (answered !== c.res) c.res = answered;
    }
    const outcome = outcomeOf(c.req.raw);
    // One line per request. The path only: queries and bodies carry codes and tokens. Built only
    // when `info` is on: the URL parse and the object were ~1.5 % of a PAR otherwise (issue #8).
    if (logger.isLevelEnabled('info')) {
      const line: RequestLine = {
        // Written here too: this line is outside the request's scope, and a logger of the
        // embedding application may lack createLogger's mixin.
        request_id: requestId,
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      // Assigned, not spread in: object spreads were most of this function's own time.
      if (outcome?.clientId !== undefined) line.client_id = outcome.clientId.slice(0, MAX_LOGGED_CLIENT_ID);
      if (outcome?.error !== undefined) {
        line.error = outcome.error;
        line.reason = outcome.reason;
      }
      logger.info(line, 'request');
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
