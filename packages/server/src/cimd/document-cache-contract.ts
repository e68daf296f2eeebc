/**
 * What the Client ID Metadata Document cache offers (metadata-document-cache.ts): its options, its
 * operations, the events it reports and its statistics.
 */
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { CachedDocument, SharedDocument } from './cached-document.ts';
import type { FetchGovernor, GovernorRefusalReason } from './fetch-governor.ts';

export type CacheEventType =
  | 'hit'
  | 'miss'
  | 'revalidated'
  | 'refreshed'
  | 'stale_served'
  | 'stale_if_error'
  | 'fetch_failed'
  | 'invalid'
  | 'evicted'
  | 'governor_refused'
  | 'shared_hit';

export interface CacheEvent {
  type: CacheEventType;
  url: string;
  reason?: string;
}

export interface DocumentCacheOptions<T> {
  /** The hardened fetcher (CIMD-FETCH-*); tests pass a stub. */
  fetch: SafeFetch;
  /** Turns the parsed JSON body into a value, or throws to refuse it. Runs before anything is stored. */
  validate: (body: unknown, url: string) => T | Promise<T>;
  governor: FetchGovernor;
  /** Epoch milliseconds (response dates are compared with it). Default `Date.now`. */
  clock?: () => number;
  /** Floor of the freshness lifetime. Default 5 min. */
  minTtlMs?: number;
  /** Ceiling of the freshness lifetime and of any use of a body after its fetch. Default 24 h. */
  maxTtlMs?: number;
  /** How long past expiry a body may be served while one background revalidation runs. Default 60 s. */
  staleWhileRevalidateMs?: number;
  /** Minimum time since the last origin confirmation before `forceRefresh` fetches again. Default 30 s. */
  forceRefreshCooldownMs?: number;
  /**
   * How long past its expiry the last good version is served while its origin fails (network
   * error, 5xx, deadline; decision 0035). Default 24 h (`cimd.staleIfErrorSeconds`); 0: never.
   */
  staleIfErrorMs?: number;
  /** While the origin fails, how long after a failed attempt the next one is made. Default 30 s. */
  staleRetryMs?: number;
  /** Bound on the bytes held (bodies plus a per-entry allowance), LRU eviction. Default 8 MiB. */
  maxBytes?: number;
  /** Metrics and audit. Its own errors are swallowed. */
  onEvent?: (event: CacheEvent) => void;
}

export interface GetOptions {
  /** Bypass freshness (re-fetch once on redirect_uri mismatch); still single-flight and cooled down. */
  forceRefresh?: boolean;
  /** With `forceRefresh`: fetch even within the cooldown (an operator's refresh, authenticated and audited). */
  ignoreCooldown?: boolean;
}

export interface DocumentCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  inflight: number;
  hits: number;
  misses: number;
  staleServed: number;
  /** Gets answered with the last good version past its expiry because the origin fails. */
  staleIfErrorServed: number;
  revalidated: number;
  refreshed: number;
  fetchFailures: number;
  invalid: number;
  evictions: number;
  governorRefusals: number;
  forceRefreshCooledDown: number;
}

export interface DocumentCache<T> {
  get(url: string, options?: GetOptions): Promise<CachedDocument<T>>;
  /**
   * The stored document if it is still usable (fresh, within the stale window, or within its
   * stale-if-error grace once the origin failed); no network, no LRU touch.
   */
  peek(url: string): CachedDocument<T> | undefined;
  /**
   * Takes a version from the shared second level when it is still fresh (and fresher than what
   * memory holds) and validates now: the next `get` is then a hit, without a network fetch. An
   * expired one still within its stale-if-error grace is kept, when memory holds nothing, as an
   * expired entry (the next `get` revalidates it, and serves it if the origin fails); undefined is
   * returned then, as when nothing is kept.
   */
  adopt(url: string, shared: SharedDocument): Promise<CachedDocument<T> | undefined>;
  delete(url: string): void;
  /**
   * Whether an ordinary `get(url)` would need a network fetch that the governor refuses right now:
   * the refusal (counted and reported like one from `get`) if so, undefined if `get` would answer
   * from memory, join a fetch under way, or be admitted. Synchronous and without any I/O, so a
   * caller can shed a flood of unknown URLs before doing work of its own (decision 0020).
   */
  refuseEarly(url: string): EarlyRefusal | undefined;
  /**
   * The fresh document for `url` if memory holds one (counted and reported as a hit, LRU touched),
   * else undefined. Synchronous: what `get` would answer without waiting, for the resolver's
   * warm path.
   */
  fresh(url: string): CachedDocument<T> | undefined;
  stats(): DocumentCacheStats;
}

/** Why `refuseEarly` refused: the governor's reason and the (lower-case) host. No Error, no stack. */
export interface EarlyRefusal {
  reason: GovernorRefusalReason;
  host: string;
}
