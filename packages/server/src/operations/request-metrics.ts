import type { RequestOutcome } from '../http/request-outcome.ts';
import type { ServerMetrics } from '../metrics.ts';

/**
 * Request metrics (issue #8): one count and one latency observation per request, labelled by the
 * ROUTE's name, never the raw path, so the label set stays bounded whatever paths clients send.
 */

/** Route names that the path alone does not give well. */
const NAMED_ROUTES: Record<string, string> = {
  '/register/:client_id': 'client_configuration',
  '/admin/openapi.json': 'admin_openapi',
};

/** The operations routes, at the root whatever the issuer's path. */
const ROOT_ROUTES: Record<string, string> = {
  '/healthz': 'healthz',
  '/readyz': 'readyz',
  '/metrics': 'metrics',
};

/**
 * The route's name from the pattern it was registered with: `{base}/token` → `token`,
 * `{base}/interaction/:id/login` → `interaction_login`, every well-known document → `metadata`,
 * no route (the not-found handler) → `not_found`.
 */
export function endpointName(route: string, basePath: string): string {
  if (route === '*' || route === '/*') return 'not_found';
  if (route.includes('/.well-known/')) return 'metadata';
  const rootName = ROOT_ROUTES[route];
  if (rootName !== undefined) return rootName;
  const path = basePath !== '' && route.startsWith(`${basePath}/`) ? route.slice(basePath.length) : route;
  const named = NAMED_ROUTES[path];
  if (named !== undefined) return named;
  const name = path
    .split('/')
    .filter((segment) => segment !== '' && !segment.startsWith(':') && !segment.includes('*'))
    .join('_')
    .replaceAll('-', '_');
  return name === '' ? 'root' : name;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * ok, or the OAuth error code the endpoint noted (a bounded set: RFC 6749 §5.2 and its
 * extensions), or, when none was noted, what the status says.
 */
export function outcomeLabel(status: number, noted: RequestOutcome | undefined): string {
  if (noted?.error !== undefined) return noted.error;
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status >= 400) return 'client_error';
  return 'ok';
}

/**
 * endpointName per (route, base path), computed once: routes are the patterns the server
 * registered (a fixed, small set), so the map is bounded by them, never by what clients send.
 */
const endpointNames = new Map<string, string>();

function cachedEndpointName(route: string, basePath: string): string {
  const key = `${basePath}\n${route}`;
  let name = endpointNames.get(key);
  if (name === undefined) {
    name = endpointName(route, basePath);
    endpointNames.set(key, name);
  }
  return name;
}

export function observeRequest(
  metrics: ServerMetrics,
  request: {
    /** The matched route pattern (hono/route routePath). */
    route: string;
    basePath: string;
    method: string;
    status: number;
    noted: RequestOutcome | undefined;
    seconds: number;
  },
): void {
  const endpoint = cachedEndpointName(request.route, request.basePath);
  const outcome = outcomeLabel(request.status, request.noted);
  const method = METHODS.has(request.method) ? request.method : 'other';
  metrics.httpRequests.inc({ endpoint, method, status: String(request.status), outcome });
  metrics.httpRequestDuration.observe({ endpoint, outcome }, request.seconds);
  // Registrations refused by the rate limits are audited once per key and window, not one by one
  // (registration-endpoint.ts); each one is counted here instead.
  if (endpoint === 'register' && method === 'POST' && request.status === 429)
    metrics.dcrRegistrations.inc({ outcome: 'rate_limited' });
}
