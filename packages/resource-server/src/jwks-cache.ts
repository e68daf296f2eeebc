import {
  type CryptoKey,
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { AuthorizationServerUnavailable, fetchJsonObject, type UpstreamOptions } from './upstream.ts';

/**
 * The authorization server's JWK Set, cached, with rotation picked up (issue #7).
 *
 * jose's `createRemoteJWKSet` does the same but times its cooldown and cache age with `Date.now()`;
 * this one takes the injected clock, like everything in Gatehouse, so the behaviour is testable
 * without waiting. Key selection itself (kid, alg, kty, use) is jose's `createLocalJWKSet`.
 *
 * - The set is fetched on first use and again once it is older than `maxAgeMs`; if that refetch
 *   fails, the keys already held keep working (a JWKS outage must not log everyone out).
 * - A token whose `kid` is not in the set triggers one refetch, at most once per `cooldownMs`:
 *   that is how a freshly rotated signing key is picked up, and the cooldown is what keeps a flood
 *   of tokens with made-up kids from turning into a flood of requests to the authorization server.
 * - Concurrent refetches are coalesced into one request.
 */
export interface JwksCacheOptions {
  jwksUri: () => Promise<string>;
  upstream: UpstreamOptions;
  now: () => number;
  maxAgeMs: number;
  cooldownMs: number;
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export function createJwksCache(options: JwksCacheOptions): KeyResolver {
  let current: { select: ReturnType<typeof createLocalJWKSet>; fetchedAt: number } | undefined;
  let lastAttempt: number | undefined;
  let inFlight: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    if (inFlight !== undefined) return inFlight;
    lastAttempt = options.now();
    inFlight = (async () => {
      try {
        const document = await fetchJsonObject(options.upstream, await options.jwksUri());
        let select: ReturnType<typeof createLocalJWKSet>;
        try {
          select = createLocalJWKSet(document as unknown as JSONWebKeySet);
        } catch {
          throw new AuthorizationServerUnavailable('the JWKS is not a JWK Set');
        }
        current = { select, fetchedAt: options.now() };
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const coolingDown = () => lastAttempt !== undefined && options.now() - lastAttempt < options.cooldownMs;

  return async (header, token) => {
    if (current === undefined) {
      // Nothing held yet: a failure here is an outage, unless one just failed (cooldown).
      if (coolingDown() && inFlight === undefined) {
        throw new AuthorizationServerUnavailable('the JWKS could not be fetched recently');
      }
      await refresh();
    } else if (options.now() - current.fetchedAt >= options.maxAgeMs && !coolingDown()) {
      await refresh().catch(() => {}); // stale keys beat no keys
    }
    const held = current;
    if (held === undefined) throw new AuthorizationServerUnavailable('no JWKS');
    try {
      return await held.select(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || coolingDown()) throw error;
    }
    // Unknown kid: perhaps the signing key was rotated since the set was fetched. If the refetch
    // fails, the token stays unverifiable, which is the same answer as an unknown key.
    try {
      await refresh();
    } catch {
      throw new errors.JWKSNoMatchingKey();
    }
    return current!.select(header, token);
  };
}
