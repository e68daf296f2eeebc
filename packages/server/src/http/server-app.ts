import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { RequestInfo } from './request-info.ts';
import { jsonResponse, oauthErrorResponse } from './responses.ts';
import { isStoreUnavailableError, storeUnavailable } from './store-unavailable.ts';

/**
 * The router every surface mounts its routes on (protocol, registration, pages, operations; later
 * admin). The transport's facts travel as Hono bindings, beside the Request, never on it.
 */
export type ServerApp = Hono<{ Bindings: RequestInfo }>;

export function createServerApp(): ServerApp {
  return new Hono<{ Bindings: RequestInfo }>();
}

/** What no route answers: a JSON 404, and a 500 (503 for a store outage) for what a handler throws. */
export function answerUnmatched(app: ServerApp, logger: Logger): void {
  app.notFound(() => jsonResponse({ error: 'not_found' }, { status: 404 }));
  app.onError((error) => {
    // The documents (metadata, JWKS) read the store too: a database outage is a 503 there as well.
    if (isStoreUnavailableError(error)) return oauthErrorResponse(storeUnavailable(error, logger));
    logger.error({ err: error }, 'unhandled error');
    return jsonResponse({ error: 'server_error' }, { status: 500 });
  });
}
