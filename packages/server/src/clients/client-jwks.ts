import { OAuthError } from '@gatehouse-oauth/core';
import { LRUCache } from 'lru-cache';
import { fetchFailureReason, publicFetchDescription } from '../public-fetch-descriptions.ts';

/**
 * A client's signing keys for `private_key_jwt` (RFC 7523 §2.2, CIMD-AUTH-1): its inline `jwks`,
 * or the JWK Set at its `jwks_uri` (RFC 7591 §2), fetched through the injected hardened fetcher
 * (CIMD-FETCH-6; this module never opens a socket itself).
 *
 * Fetched sets are cached per URI for a short while (5 min), so one client authenticating often
 * costs one fetch per TTL. A key id that the cached set does not know triggers one early re-fetch
 * (key rotation is normal hygiene and must not break clients, CIMD-CHG-2), but at most once per
 * cooldown per URI, so a stream of assertions with made-up `kid`s cannot turn the server into a
 * fetch cannon. Failures are never cached (DESIGN: no caching of errors); the fetcher's own
 * governor limits how often a failing URI is retried.
 */
export type JwksFetcher = (uri: string) => Promise<unknown>;

/** A JWK Set as received: members are unknown until a key is picked and imported. */
export interface ClientJwks {
  keys: readonly Record<string, unknown>[];
}

export interface ClientJwksCacheOptions {
  fetchJwks?: JwksFetcher;
  /** How long a fetched set is used without re-fetching. Default 5 min. */
  ttlMs?: number;
  /** Minimum time between two fetches of one URI when a re-fetch is asked for. Default 30 s. */
  refetchCooldownMs?: number;
  /** Bound on cached URIs; the oldest entry goes first. Default 1000. */
  maxEntries?: number;
}

export interface ClientJwksCache {
  /** The set at `uri`, from cache while fresh. */
  get(uri: string, now: number): Promise<ClientJwks>;
  /**
   * A fresh copy of the set at `uri` after an unknown `kid`, or undefined when the last fetch is
   * more recent than the cooldown (the caller then refuses with what it has).
   */
  refresh(uri: string, now: number): Promise<ClientJwks | undefined>;
}

export const DEFAULT_JWKS_TTL_MS = 5 * 60_000;
export const DEFAULT_JWKS_REFETCH_COOLDOWN_MS = 30_000;
/** Upper bound on keys in one set; RFC 7591 metadata in Gatehouse already caps inline jwks at 32. */
const MAX_KEYS = 100;

interface Entry {
  jwks: ClientJwks;
  fetchedAt: number;
}

export function createClientJwksCache(options: ClientJwksCacheOptions = {}): ClientJwksCache {
  const ttl = options.ttlMs ?? DEFAULT_JWKS_TTL_MS;
  const cooldown = options.refetchCooldownMs ?? DEFAULT_JWKS_REFETCH_COOLDOWN_MS;
  const maxEntries = options.maxEntries ?? 1000;
  // lru-cache (decision 0023), read with `peek`: the least recently fetched set goes first.
  const entries = new LRUCache<string, Entry>({ max: maxEntries });
  const inFlight = new Map<string, Promise<ClientJwks>>();

  function fetchNow(uri: string, now: number): Promise<ClientJwks> {
    const fetchJwks = options.fetchJwks;
    if (fetchJwks === undefined) {
      // No fetcher configured: refusing is the only safe answer (an unguarded fetch would be SSRF).
      return Promise.reject(
        jwksUnavailable('this server is not configured to fetch jwks_uri; the client must use inline jwks'),
      );
    }
    // Concurrent requests for one URI share one fetch.
    const pending = inFlight.get(uri);
    if (pending !== undefined) return pending;
    const fetching = (async () => {
      let body: unknown;
      try {
        body = await fetchJwks(uri);
      } catch (error) {
        // The fixed sentence for the fetcher's reason, never its message (addresses, DNS errors):
        // the detail is in the `fetch.refused` audit event (observed-fetch.ts), issue 18 finding 5.
        throw jwksUnavailable(publicFetchDescription('the client jwks_uri', fetchFailureReason(error)));
      }
      const jwks = parseJwks(body);
      if (jwks === undefined) throw jwksUnavailable('the client jwks_uri did not return a JWK Set');
      entries.set(uri, { jwks, fetchedAt: now });
      return jwks;
    })().finally(() => inFlight.delete(uri));
    inFlight.set(uri, fetching);
    return fetching;
  }

  return {
    async get(uri, now) {
      const entry = entries.peek(uri);
      if (entry !== undefined && now - entry.fetchedAt < ttl) return entry.jwks;
      return fetchNow(uri, now);
    },
    async refresh(uri, now) {
      const entry = entries.peek(uri);
      if (entry !== undefined && now - entry.fetchedAt < cooldown) return undefined;
      return fetchNow(uri, now);
    },
  };
}

/** RFC 7517 §5: an object with a `keys` array of objects. Anything else is not a JWK Set. */
export function parseJwks(value: unknown): ClientJwks | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const keys: unknown = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) return undefined;
  if (!keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))) return undefined;
  return { keys: keys as Record<string, unknown>[] };
}

function jwksUnavailable(description: string): OAuthError {
  return new OAuthError('invalid_client', { reason: 'jwks_unavailable', description });
}
