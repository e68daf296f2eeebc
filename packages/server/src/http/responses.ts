import type { OAuthError } from '@gatehouse-oauth/core';
import { currentRequestScope } from './request-id.ts';

/**
 * Responses that carry tokens or token-related errors are never cached (RFC 6749 §5.1, §5.2:
 * `Cache-Control: no-store`; `Pragma: no-cache` for old intermediaries).
 */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** Answers built with their request's answer headers (`X-Request-Id`, CORS): nothing to add later. */
const withAnswerHeaders = new WeakSet<Response>();

/**
 * A JSON answer. While a request is served, built with the headers every answer to it carries
 * (http/request-id.ts `RequestScope`), so they are never set on it afterwards: on the listener's
 * lightweight `Response` that would turn its plain headers into a `Headers` object, validated
 * member by member and sorted again when written (decision 0048).
 */
export function jsonResponse(
  body: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  const scope = currentRequestScope();
  const answer = new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json', ...NO_STORE, ...scope?.answerHeaders, ...init.headers },
  });
  if (scope !== undefined) withAnswerHeaders.add(answer);
  return answer;
}

/** Whether `response` was built with its request's answer headers (by `jsonResponse`). */
export function carriesAnswerHeaders(response: Response): boolean {
  return withAnswerHeaders.has(response);
}

/** RFC 6749 §5.2 error response. */
export function oauthErrorResponse(error: OAuthError): Response {
  return jsonResponse(error.toJSON(), { status: error.status, headers: error.headers });
}

export function methodNotAllowed(allow: string): Response {
  return jsonResponse(
    { error: 'invalid_request', error_description: `method not allowed; use ${allow}` },
    { status: 405, headers: { allow } },
  );
}

/**
 * `response` with `headers` set. An endpoint's own answer has mutable headers: they are set in place,
 * which keeps the body as it was built (issue #8: a copy re-wraps it in a stream). A response with
 * immutable headers (a fetched one, Response.error(), Response.redirect()) throws on set and is
 * copied instead.
 */
export function withHeaders(response: Response, headers: Readonly<Record<string, string>>): Response {
  try {
    for (const name in headers) response.headers.set(name, headers[name]!);
    return response;
  } catch {}
  const copy = new Response(response.body, response);
  for (const name in headers) copy.headers.set(name, headers[name]!);
  return copy;
}
