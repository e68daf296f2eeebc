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
