import type { AuthorizationServerEndpoints } from './authorization-server-metadata.ts';
import { createIntrospectionClient } from './introspection.ts';
import { createJwksCache } from './jwks-cache.ts';
import { verifyJwtAccessToken } from './jwt-access-token.ts';
import type { ResourceServerOptions } from './resource-server-options.ts';
import { AuthorizationServerUnavailable, type UpstreamOptions } from './upstream.ts';
import type { VerifiedToken } from './verified-token.ts';

export interface AccessTokenVerifierOptions {
  issuer: string;
  resource: string;
  algorithms: readonly string[];
  clockSkewSeconds: number;
  upstream: UpstreamOptions;
  now: () => number;
  /** The issuer's RFC 8414 metadata, for the endpoints not configured. */
  discover: () => Promise<AuthorizationServerEndpoints>;
  /** The least time between two JWKS fetches for an unknown kid. */
  cooldownMs: number;
  jwksUri?: string;
  jwks?: ResourceServerOptions['jwks'];
  introspection?: ResourceServerOptions['introspection'];
}

/**
 * How an access token is checked: by introspection (RFC 7662) when configured, else locally as a
 * JWT (RFC 9068) against the issuer's JWKS. Either way the answer is a `VerifiedToken` whose
 * audience is this resource (MCP-10), or an `invalid_token` refusal.
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): (token: string, at: number) => Promise<VerifiedToken> {
  const { issuer, resource, algorithms, upstream, now, discover, cooldownMs } = options;
  const skew = options.clockSkewSeconds;
  const introspection = options.introspection;
  if (introspection !== undefined) {
    const configured = introspection.endpoint;
    const introspect = createIntrospectionClient({
      issuer,
      resource,
      clientId: introspection.clientId,
      clientSecret: introspection.clientSecret,
      endpoint: async () => {
        if (configured !== undefined) return configured;
        const found = (await discover()).introspectionEndpoint;
        if (found === undefined) {
          throw new AuthorizationServerUnavailable('the issuer publishes no introspection_endpoint');
        }
        return found;
      },
      upstream,
      clockSkewSeconds: skew,
      cacheMs: (introspection.cacheSeconds ?? 30) * 1000,
      maxCacheEntries: 10_000,
    });
    return introspect;
  }
  const configured = options.jwksUri;
  const keys = createJwksCache({
    jwksUri: async () => {
      if (configured !== undefined) return configured;
      const found = (await discover()).jwksUri;
      if (found === undefined) throw new AuthorizationServerUnavailable('the issuer publishes no jwks_uri');
      return found;
    },
    upstream,
    now,
    maxAgeMs: (options.jwks?.maxAgeSeconds ?? 600) * 1000,
    cooldownMs,
  });
  return (token, at) =>
    verifyJwtAccessToken({ issuer, resource, algorithms, clockSkewSeconds: skew, keys }, token, at);
}
