import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { LoggerOptions } from 'pino';

/**
 * Request ids (decision 0028): every request gets one, every log line written while it is served
 * carries it as `request_id`, the answer sends it back in `X-Request-Id`, and the error page shows
 * it as a reference the operator can find in the log.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An id a proxy in front already gave the request (nginx's `$request_id`, a UUID, a trace id) is
 * kept, so one id follows the request through both logs. Only a short token of safe characters is
 * kept: the id is written into logs, a header and an HTML page. Anything else gets a fresh id. It is
 * a correlation label, never evidence: a client can send one too.
 */
const ACCEPTED_INCOMING = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * The request being served: its id, and the headers every answer to it carries (`X-Request-Id`,
 * and CORS on the endpoints that allow it). An answer built by `jsonResponse` while the request is
 * served is built with them; any other answer gets them set by the request logger once it is made
 * (decision 0048: setting headers on a built answer turns its plain headers into a `Headers`).
 */
export interface RequestScope {
  readonly id: string;
  readonly answerHeaders: Record<string, string>;
}

const current = new AsyncLocalStorage<RequestScope>();

export function requestScope(id: string): RequestScope {
  return { id, answerHeaders: { [REQUEST_ID_HEADER]: id } };
}

/** The request's id: the one it came with when that is acceptable, else a new UUID. */
export function requestIdFor(request: Request): string {
  const incoming = request.headers.get(REQUEST_ID_HEADER);
  return incoming !== null && ACCEPTED_INCOMING.test(incoming) ? incoming : randomUUID();
}

/** Runs `serve` (the rest of the request) in `scope`. */
export function withRequestScope<T>(scope: RequestScope, serve: () => T): T {
  return current.run(scope, serve);
}

/** The id of the request being served, if any (background work started outside one has none). */
export function currentRequestId(): string | undefined {
  return current.getStore()?.id;
}

/** The request being served, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return current.getStore();
}

const NO_FIELDS = Object.freeze({});

/**
 * pino options that add `request_id` to every line written while a request is served, whatever
 * module writes it. `createLogger` uses them; a logger of your own gets them by spreading these
 * into its options. Outside a request the line is left as it is, with no object made for it.
 */
export const requestIdLogOptions = {
  mixin: (): object => {
    const id = current.getStore()?.id;
    return id === undefined ? NO_FIELDS : { request_id: id };
  },
  // pino's default merge assigns into the mixin's object, which must then be a new one each time.
  mixinMergeStrategy: (mergeObject: object, mixinObject: object): object =>
    mixinObject === NO_FIELDS ? mergeObject : Object.assign(mixinObject, mergeObject),
} satisfies Pick<LoggerOptions, 'mixin' | 'mixinMergeStrategy'>;
