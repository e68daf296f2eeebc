/**
 * CORS (Fetch standard §3.2) for the endpoints a browser-based client calls directly: AT-13 asks
 * for it on the metadata, PAR and token endpoints; Gatehouse adds revocation, because browser apps
 * revoke their tokens on sign-out (the atproto client does). Metadata and JWKS are public documents
 * and always carry `Access-Control-Allow-Origin: *` (protocol/metadata-endpoint.ts).
 *
 * Never on /authorize, the interaction pages or the client configuration endpoints: those are
 * navigated to, not fetched, and a page readable cross-origin would hand its form token to any site.
 * Never with credentials: the endpoints authenticate clients by what the request carries (a client
 * assertion, a DPoP proof), never by cookies, so `*` is right and `Allow-Credentials` is never sent.
 * Introspection is left out on purpose: its callers are resource servers, not browsers.
 */
import { currentRequestScope } from './request-id.ts';
import { withHeaders } from './responses.ts';

export const CORS_ALLOWED_HEADERS = 'Content-Type, Authorization, DPoP';
/** What a browser client must read from our answers: the DPoP nonce (RFC 9449 §8) and challenges. */
export const CORS_EXPOSED_HEADERS = 'DPoP-Nonce, WWW-Authenticate';
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export type Handler = (request: Request) => Promise<Response>;

/** The answer to an `OPTIONS` preflight for an endpoint that takes `methods`. */
export function preflightResponse(methods: readonly string[]): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': [...methods, 'OPTIONS'].join(', '),
      'access-control-allow-headers': CORS_ALLOWED_HEADERS,
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    },
  });
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': CORS_EXPOSED_HEADERS,
} as const;

/** A response with the CORS headers of a non-credentialed cross-origin read (set in place when it can). */
export function withCorsHeaders(response: Response): Response {
  return withHeaders(response, CORS_HEADERS);
}

/**
 * `handler` with CORS when `enabled`: a preflight is answered here, every other answer (errors
 * included, so a browser client can read why it was refused) gets the headers. While a request is
 * served they join its answer headers, which its answer is built with or given by the request
 * logger (http/request-id.ts); outside one they are set on the answer. Disabled, the handler is
 * returned as it is.
 */
export function corsEndpoint(handler: Handler, methods: readonly string[], enabled: boolean): Handler {
  if (!enabled) return handler;
  return async (request) => {
    if (request.method === 'OPTIONS') return preflightResponse(methods);
    const scope = currentRequestScope();
    if (scope === undefined) return withCorsHeaders(await handler(request));
    Object.assign(scope.answerHeaders, CORS_HEADERS);
    return handler(request);
  };
}
