import { AuthorizationServerUnavailable, fetchJsonObject, type UpstreamOptions } from './upstream.ts';

/**
 * The few fields of the issuer's RFC 8414 metadata a resource server needs. Fetched once on first
 * use from the path-inserted well-known URL (RFC 8414 §3.1) and kept; a failed fetch is retried on
 * a later request, no sooner than `retryAfterMs` after the last attempt.
 */
export interface AuthorizationServerEndpoints {
  jwksUri?: string;
  introspectionEndpoint?: string;
}

export function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

export function createMetadataDiscovery(
  issuer: string,
  upstream: UpstreamOptions,
  now: () => number,
  retryAfterMs: number,
): () => Promise<AuthorizationServerEndpoints> {
  let known: AuthorizationServerEndpoints | undefined;
  let inFlight: Promise<AuthorizationServerEndpoints> | undefined;
  let failedAt: number | undefined;

  const load = async (): Promise<AuthorizationServerEndpoints> => {
    const document = await fetchJsonObject(upstream, authorizationServerMetadataUrl(issuer));
    // RFC 8414 §3.3 (MCP-3): the issuer in the document must be exactly the one we asked about,
    // or the document is someone else's and its jwks_uri must not be trusted.
    if (document.issuer !== issuer) {
      throw new AuthorizationServerUnavailable('authorization server metadata names another issuer');
    }
    const endpoint = (name: string): string | undefined => {
      const value = document[name];
      return typeof value === 'string' && /^https?:\/\//.test(value) ? value : undefined;
    };
    const jwksUri = endpoint('jwks_uri');
    const introspectionEndpoint = endpoint('introspection_endpoint');
    return {
      ...(jwksUri === undefined ? {} : { jwksUri }),
      ...(introspectionEndpoint === undefined ? {} : { introspectionEndpoint }),
    };
  };

  return async () => {
    if (known !== undefined) return known;
    if (inFlight !== undefined) return inFlight;
    if (failedAt !== undefined && now() - failedAt < retryAfterMs) {
      throw new AuthorizationServerUnavailable('authorization server metadata recently failed');
    }
    inFlight = load().then(
      (endpoints) => {
        known = endpoints;
        inFlight = undefined;
        return endpoints;
      },
      (error: unknown) => {
        failedAt = now();
        inFlight = undefined;
        throw error;
      },
    );
    return inFlight;
  };
}
