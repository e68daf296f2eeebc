/**
 * OAuth 2.0 Protected Resource Metadata, RFC 9728 (MCP-19): the document that tells a client which
 * authorization server protects this resource, and the well-known URL it lives at.
 */
export interface ProtectedResourceMetadata {
  /** §2: the resource identifier, identical to the one the well-known URL was built from (§3.3). */
  resource: string;
  /** §2: the issuers that can issue tokens for this resource: Gatehouse (AT-13: exactly one). */
  authorization_servers: string[];
  scopes_supported?: string[];
  /** §2: only the Authorization header (RFC 6750 §2.1); query and body tokens are not read. */
  bearer_methods_supported: string[];
  resource_name?: string;
  /** §2 with RFC 9449 §5.1's naming: the DPoP proof algorithms accepted. */
  dpop_signing_alg_values_supported: string[];
  /** §2: true when Bearer tokens are refused outright (`dpop.required`). */
  dpop_bound_access_tokens_required?: boolean;
}

export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * RFC 9728 §3.1: the well-known URI suffix is inserted between the host and the path (and query) of
 * the resource identifier, after removing a terminating `/` that follows the host. So
 * `https://mcp.example/mcp` → `https://mcp.example/.well-known/oauth-protected-resource/mcp`, and
 * `https://api.example` or `https://api.example/` → `https://api.example/.well-known/oauth-protected-resource`.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${path}${url.search}`;
}

/**
 * A resource identifier (RFC 9728 §1.2, RFC 8707 §2): an absolute URL with the https scheme and no
 * fragment. http is allowed only on loopback, for development. Throws a TypeError (configuration,
 * not a request path).
 */
export function checkResourceIdentifier(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} must be an absolute URL`);
  }
  if (url.hash !== '' || value.includes('#')) throw new TypeError(`${what} must not have a fragment`);
  if (url.username !== '' || url.password !== '') throw new TypeError(`${what} must not have userinfo`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new TypeError(`${what} must use https (http only on loopback)`);
  }
  return url;
}

export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Serves the RFC 9728 document at its path (GET, HEAD, CORS preflight); undefined for any other
 * path. `body` is the document, serialised once.
 */
export function protectedResourceMetadataResponse(
  request: Request,
  metadataPath: string,
  body: string,
): Response | undefined {
  const url = new URL(request.url);
  if (url.pathname !== metadataPath) return undefined;
  const cors = { 'access-control-allow-origin': '*' };
  // RFC 9728 §3: GET; browser-based clients need CORS to read it.
  if (request.method === 'OPTIONS') {
    return new Response(null, {
      status: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? '*',
        'access-control-max-age': '86400',
      },
    });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { ...cors, allow: 'GET, HEAD, OPTIONS' } });
  }
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: { ...cors, 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
  });
}
