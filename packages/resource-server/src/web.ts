import type { AuthenticateOptions, AuthInfo } from './auth-info.ts';
import type { ResourceServer } from './resource-server.ts';

/**
 * Web-standard middleware: `(Request) => Promise<Response>`, for Hono, Bun, Deno, workers, or Node
 * through any adapter. The handler runs only for an accepted token; every refusal is answered here.
 */
export function withAccessToken(
  rs: ResourceServer,
  handler: (request: Request, auth: AuthInfo) => Promise<Response>,
  options: AuthenticateOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    const result = await rs.authenticate(request, options);
    if (!result.ok) return result.response;
    const response = await handler(request, result.auth);
    return withHeaders(response, result.headers);
  };
}

/** Adds headers (the next DPoP-Nonce), copying the response when its headers are immutable. */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  const entries = Object.entries(headers);
  if (entries.length === 0) return response;
  try {
    for (const [name, value] of entries) response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const [name, value] of entries) copy.headers.set(name, value);
    return copy;
  }
}
