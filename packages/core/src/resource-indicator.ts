import { OAuthError } from './oauth-error.ts';

/**
 * Resource indicators, RFC 8707 §2 (MCP-9): `resource` is an absolute URI without a fragment, may
 * repeat, and an unknown or invalid one is `invalid_target`. Clients spell the same resource
 * differently (scheme and host case, default port, a trailing slash), so requests are matched on a
 * canonical form, and tokens always carry the configured spelling, which is what the resource
 * server compares its own identifier against.
 */
export function canonicalResource(value: string): string | undefined {
  if (value.includes('#')) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return `${url.protocol}//${url.host}${path}${url.search}`;
}

/**
 * Resolves the requested resources against the configured ones. Returns the configured spellings.
 * @param redirectable whether the error may travel to the (verified) redirect_uri
 */
export function resolveResources(
  requested: readonly string[],
  known: ReadonlyMap<string, string>,
  redirectable: boolean,
): string[] {
  const resolved: string[] = [];
  for (const value of requested) {
    const canonical = canonicalResource(value);
    if (canonical === undefined) {
      throw new OAuthError('invalid_target', {
        reason: 'resource_malformed',
        description: 'resource must be an absolute http(s) URI without a fragment',
        redirectable,
      });
    }
    const configured = known.get(canonical);
    if (configured === undefined) {
      throw new OAuthError('invalid_target', {
        reason: 'resource_unknown',
        description: 'resource is not served by this authorization server',
        redirectable,
      });
    }
    if (!resolved.includes(configured)) resolved.push(configured);
  }
  return resolved;
}
