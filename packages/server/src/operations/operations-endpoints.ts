import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { digest, safeEqual } from '../crypto/digest.ts';
import { jsonResponse, methodNotAllowed, NO_STORE } from '../http/responses.ts';
import type { Store } from '../store/store.ts';

/**
 * What an operator's tooling reads (issue #8; docs/operations.md, decision 0014): liveness,
 * readiness and the Prometheus metrics. Served at the root of the main handler (`/healthz`,
 * `/readyz`, and `/metrics` only when a token is configured), and by `fetch` on a separate listener
 * the operator keeps private.
 */
export interface OperationsHandlers {
  /** Liveness: 200 `{"status":"ok"}` whenever the process answers at all. */
  healthz(request: Request): Response;
  /**
   * Readiness: 200 `{"status":"ok"}` when the store answers a cheap read and takes a small write
   * within the timeout, otherwise 503 `{"status":"unavailable"}` with the reason in the log.
   * Concurrent probes share one probe.
   */
  readyz(request: Request): Promise<Response>;
  /**
   * The Prometheus text exposition of the server's registry. When a token is configured the request
   * must carry `Authorization: Bearer <token>` (compared in constant time), else 401.
   */
  metrics(request: Request): Promise<Response>;
  /** `/healthz`, `/readyz` and `/metrics` by path, for a separate listener; anything else is 404. */
  fetch(request: Request): Promise<Response>;
}

export interface OperationsSettings {
  registry: Registry;
  store: Store;
  logger: Logger;
  /** Bearer token required for /metrics; unset: no token is asked (a private listener). */
  metricsToken?: string | undefined;
  /** How long readiness waits for the store. */
  readinessTimeoutMs: number;
}

/** Looked up by primary key and never found: the cheapest read every store implements. */
const PROBE_CLIENT_ID = 'gatehouse-readiness-probe';
/**
 * Issue #18 finding 7: a full disk or a read-only data directory still answers reads, so readiness
 * also writes: a one-time value in the replay store (the cheapest write every store has, purged
 * with the expired entries a minute later).
 */
const PROBE_WRITE_TTL_MS = 60_000;
/** Below this a token is guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

export function createOperations(settings: OperationsSettings): OperationsHandlers {
  const { registry, store, logger, readinessTimeoutMs } = settings;
  const token = settings.metricsToken;
  if (token !== undefined && token.length < MIN_METRICS_TOKEN_LENGTH)
    throw new Error(`the metrics token must be at least ${MIN_METRICS_TOKEN_LENGTH} characters`);
  if (!Number.isFinite(readinessTimeoutMs) || readinessTimeoutMs <= 0)
    throw new RangeError(`readinessTimeoutMs must be positive, got ${readinessTimeoutMs}`);
  const expected = token === undefined ? undefined : digest(token);

  let probe: Promise<boolean> | undefined;
  async function storeReachable(): Promise<boolean> {
    let stage: 'read' | 'write' = 'read';
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), readinessTimeoutMs);
      timer.unref();
    });
    try {
      const readAndWrite = async () => {
        await store.clients.get(PROBE_CLIENT_ID);
        stage = 'write';
        const now = Date.now();
        await store.replay.remember(`readiness-probe:${crypto.randomUUID()}`, now + PROBE_WRITE_TTL_MS, now);
      };
      const result = await Promise.race([readAndWrite(), timedOut]);
      if (result === 'timeout') {
        logger.warn(
          { timeout_ms: readinessTimeoutMs, stage },
          `readiness: the store did not answer the ${stage} in time`,
        );
        return false;
      }
      return true;
    } catch (error) {
      // The reason (ENOSPC, SQLITE_FULL, SQLITE_READONLY, a refused connection) is in `err`.
      logger.warn(
        { err: error, stage },
        stage === 'read' ? 'readiness: the store is unreachable' : 'readiness: the store cannot write',
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  const status = (body: { status: string }, code: number, request: Request) =>
    request.method === 'HEAD'
      ? new Response(null, { status: code, headers: { 'content-type': 'application/json', ...NO_STORE } })
      : jsonResponse(body, { status: code });

  const handlers: OperationsHandlers = {
    healthz(request) {
      if (!readOnly(request)) return methodNotAllowed('GET, HEAD');
      return status({ status: 'ok' }, 200, request);
    },
    async readyz(request) {
      if (!readOnly(request)) return methodNotAllowed('GET, HEAD');
      probe ??= storeReachable().finally(() => {
        probe = undefined;
      });
      return (await probe)
        ? status({ status: 'ok' }, 200, request)
        : status({ status: 'unavailable' }, 503, request);
    },
    async metrics(request) {
      if (!readOnly(request)) return methodNotAllowed('GET, HEAD');
      if (expected !== undefined && !presentsToken(request, expected)) {
        return jsonResponse(
          { error: 'invalid_token', error_description: 'a bearer token is required for /metrics' },
          { status: 401, headers: { 'www-authenticate': 'Bearer realm="gatehouse-metrics"' } },
        );
      }
      const headers = { 'content-type': registry.contentType, ...NO_STORE };
      if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
      return new Response(await registry.metrics(), { status: 200, headers });
    },
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === '/healthz') return handlers.healthz(request);
      if (path === '/readyz') return handlers.readyz(request);
      if (path === '/metrics') return handlers.metrics(request);
      return jsonResponse({ error: 'not_found' }, { status: 404 });
    },
  };
  return handlers;
}

function readOnly(request: Request): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

/**
 * Constant time: both sides are SHA-256 digests first (crypto/digest.ts), so not even the length
 * leaks.
 */
function presentsToken(request: Request, expected: string): boolean {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(request.headers.get('authorization') ?? '');
  if (match === null) return false;
  return safeEqual(digest(match[1]!), expected);
}
