/**
 * The Client ID Metadata Document cache (CIMD-CACHE-1 … -5, -7): RFC 9111 freshness from the
 * response headers (via `http-cache-semantics`) clamped to [minTtl, maxTtl], ETag / Last-Modified
 * revalidation, validation before anything is stored, no caching of errors, single-flight per URL,
 * stale-while-revalidate inside the max TTL, stale-if-error for a bounded grace when the origin
 * fails, a rate-limited forced refresh, and a memory bound in bytes with LRU eviction. Every network
 * fetch goes through the fetch governor; hits never do.
 *
 * The choices the draft leaves open (no-store, failed revalidation, the stale window) are recorded
 * with their reasons in docs/decisions/0007-cimd-cache.md; stale-if-error in 0035.
 */
import { SafeFetchError, type SafeResponse } from '@gatehouse-oauth/safe-fetch';
import { LRUCache } from 'lru-cache';
import { cimdDefaults } from '../config/cimd-schema.ts';
import {
  type CachedDocument,
  clockedPolicy,
  conditionalHeaders,
  type DocumentEntry,
  type FreshnessLimits,
  fetchedEntry,
  revalidatedEntry,
  type SharedDocument,
  sharedEntry,
} from './cached-document.ts';
import type {
  CacheEventType,
  DocumentCache,
  DocumentCacheOptions,
  DocumentCacheStats,
  EarlyRefusal,
  GetOptions,
} from './document-cache-contract.ts';
import { DocumentCacheError } from './document-cache-error.ts';
import { isGovernorRefusedError } from './fetch-governor.ts';
import { DEFAULT_STALE_RETRY_MS, isOriginFailure, reasonOf } from './stale-if-error.ts';

export {
  type CachedDocument,
  cacheDirectives,
  clamp,
  ENTRY_OVERHEAD_BYTES,
  forbidsStale,
  policyFreshnessMs,
  type SharedDocument,
} from './cached-document.ts';
// The cache's contract, all of it types, as this module always exported it.
export type * from './document-cache-contract.ts';

export { DocumentCacheError, type DocumentCacheErrorReason } from './document-cache-error.ts';

// The cache's defaults are the configuration's (config/cimd-schema.ts), for callers that build one alone.
export const DEFAULT_MIN_TTL_MS = cimdDefaults.minTtlSeconds * 1000;
export const DEFAULT_MAX_TTL_MS = cimdDefaults.maxTtlSeconds * 1000;
export const DEFAULT_STALE_WHILE_REVALIDATE_MS = 60_000;
export const DEFAULT_FORCE_REFRESH_COOLDOWN_MS = cimdDefaults.refreshCooldownSeconds * 1000;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_STALE_IF_ERROR_MS = cimdDefaults.staleIfErrorSeconds * 1000;

interface Flight<T> {
  promise: Promise<CachedDocument<T>>;
}

export function createDocumentCache<T>(options: DocumentCacheOptions<T>): DocumentCache<T> {
  const clock = options.clock ?? Date.now;
  const minTtl = options.minTtlMs ?? DEFAULT_MIN_TTL_MS;
  const maxTtl = options.maxTtlMs ?? DEFAULT_MAX_TTL_MS;
  const swr = options.staleWhileRevalidateMs ?? DEFAULT_STALE_WHILE_REVALIDATE_MS;
  const cooldown = options.forceRefreshCooldownMs ?? DEFAULT_FORCE_REFRESH_COOLDOWN_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const staleIfError = options.staleIfErrorMs ?? DEFAULT_STALE_IF_ERROR_MS;
  const staleRetry = options.staleRetryMs ?? DEFAULT_STALE_RETRY_MS;
  if (!(minTtl >= 0 && maxTtl >= minTtl)) throw new TypeError('need 0 <= minTtlMs <= maxTtlMs');
  if (!(swr >= 0 && cooldown >= 0 && maxBytes > 0)) throw new TypeError('invalid cache limits');
  if (!(staleIfError >= 0 && staleRetry >= 0)) throw new TypeError('invalid stale-if-error limits');
  const Policy = clockedPolicy(clock);
  const limits: FreshnessLimits = { minTtl, maxTtl, swr, staleIfError };
  const { fetch, validate, governor } = options;

  // The byte-bounded LRU (lru-cache, decision 0023): `get` is the LRU touch of a hit, `peek` reads
  // without one; an entry pushed out by the bound is counted and reported as `evicted` (lru).
  const entries = new LRUCache<string, DocumentEntry<T>>({
    maxSize: maxBytes,
    sizeCalculation: (entry) => entry.size,
    dispose: (_entry, url, reason) => {
      if (reason !== 'evict') return;
      counters.evictions++;
      emit('evicted', url, 'lru');
    },
  });
  // Single-flight, not a cache: one fetch per URL under way, each admitted by the governor, so it
  // is bounded by the governor's concurrency and queue, and gone when the fetch settles.
  const inflight = new Map<string, Flight<T>>();
  const counters = {
    hits: 0,
    misses: 0,
    staleServed: 0,
    staleIfErrorServed: 0,
    revalidated: 0,
    refreshed: 0,
    fetchFailures: 0,
    invalid: 0,
    evictions: 0,
    governorRefusals: 0,
    forceRefreshCooledDown: 0,
  };

  function emit(type: CacheEventType, url: string, reason?: string): void {
    if (options.onEvent === undefined) return;
    try {
      options.onEvent(reason === undefined ? { type, url } : { type, url, reason });
    } catch {
      // Metrics and audit must never break resolution of a client.
    }
  }

  function store(entry: DocumentEntry<T>): void {
    entries.delete(entry.doc.url);
    if (entry.size > maxBytes) {
      // Never happens with the 5 KB fetch cap and the default bound; the document is still returned.
      counters.evictions++;
      emit('evicted', entry.doc.url, 'too_large');
      return;
    }
    entries.set(entry.doc.url, entry);
  }

  function onNotModified(
    url: string,
    previous: DocumentEntry<T> | undefined,
    response: SafeResponse,
  ): DocumentEntry<T> {
    if (previous === undefined) throw new DocumentCacheError('unexpected_not_modified', url);
    const entry = revalidatedEntry(limits, url, previous, response.headers, clock());
    // A 304 only confirms the body whose validator it names; otherwise we hold an unconfirmed body.
    if (entry === undefined) throw new DocumentCacheError('revalidation_mismatch', url);
    return entry;
  }

  async function onOk(url: string, response: SafeResponse): Promise<DocumentEntry<T>> {
    let parsed: unknown;
    try {
      parsed = response.json();
    } catch (error) {
      throw new DocumentCacheError('invalid_json', url, error);
    }
    // CIMD-CACHE-4: validation happens before anything is stored; a throw here stores nothing.
    const value = await validate(parsed, url);
    return fetchedEntry(limits, Policy, url, response.headers, response.body, value, clock());
  }

  function hostOf(url: string): string {
    try {
      return new URL(url).hostname;
    } catch {
      throw new SafeFetchError('invalid_url', 'invalid URL', { url });
    }
  }

  async function load(
    url: string,
    previous: DocumentEntry<T> | undefined,
    own: Flight<T>,
  ): Promise<CachedDocument<T>> {
    let response: SafeResponse;
    try {
      const host = hostOf(url);
      const init = previous === undefined ? {} : { headers: conditionalHeaders(previous.doc) };
      response = await governor.run(host, () => fetch(url, init));
    } catch (error) {
      if (isGovernorRefusedError(error)) {
        // Our own load shedding says nothing about the document: keep what we have (it is still
        // bounded by staleUntil), store nothing new.
        counters.governorRefusals++;
        emit('governor_refused', url, error.reason);
        throw error;
      }
      counters.fetchFailures++;
      emit('fetch_failed', url, reasonOf(error));
      const kept = keepThroughFailure(url, previous, own, error);
      if (kept !== undefined) return kept;
      dropAfterFailure(url, previous);
      throw error;
    }

    let entry: DocumentEntry<T>;
    try {
      entry = response.status === 304 ? onNotModified(url, previous, response) : await onOk(url, response);
    } catch (error) {
      dropAfterFailure(url, previous);
      const notModifiedProblem = error instanceof DocumentCacheError && error.reason !== 'invalid_json';
      if (notModifiedProblem) counters.fetchFailures++;
      else counters.invalid++;
      emit(notModifiedProblem ? 'fetch_failed' : 'invalid', url, reasonOf(error));
      throw error;
    }

    // delete(url) while we were fetching wins: the flight was disowned, so we do not store.
    if (inflight.get(url) === own) store(entry);
    if (response.status === 304) {
      counters.revalidated++;
      emit('revalidated', url);
    } else if (previous !== undefined) {
      counters.refreshed++;
      emit('refreshed', url);
    }
    return entry.doc;
  }

  /**
   * Stale-if-error (decision 0035): when the origin could not answer (isOriginFailure) and the last
   * good version is within its grace, it stays, marked with the failure and retried no sooner than
   * `staleRetryMs` later, and it is what this flight answers. Undefined otherwise: it is dropped.
   */
  function keepThroughFailure(
    url: string,
    previous: DocumentEntry<T> | undefined,
    own: Flight<T>,
    error: unknown,
  ): CachedDocument<T> | undefined {
    const now = clock();
    if (previous === undefined || !isOriginFailure(error) || now >= previous.doc.staleIfErrorUntil)
      return undefined;
    // Deleted while we fetched (an operator's evict): not brought back.
    if (inflight.get(url) !== own) return undefined;
    previous.failure = { retryAt: now + staleRetry };
    // One marked copy per episode: the resolver flags and audits it once (stale-document-notice.ts).
    if (previous.doc.originFailure === undefined)
      previous.doc = { ...previous.doc, originFailure: { since: now, reason: reasonOf(error) } };
    if (entries.peek(url) !== previous) store(previous);
    return servedDuringFailure(url, previous, now);
  }

  /** The kept version; past its expiry it is served stale, and counted as such. */
  function servedDuringFailure(url: string, entry: DocumentEntry<T>, now: number): CachedDocument<T> {
    if (now >= entry.doc.expiresAt) {
      counters.staleIfErrorServed++;
      emit('stale_if_error', url, entry.doc.originFailure?.reason);
    }
    return entry.doc;
  }

  /**
   * CIMD-CACHE-3/4 with issue #77: an entry whose revalidation fails with an answer of the origin
   * (error status, invalid body, unmatched 304) or a failure that may not be the origin's (TLS, a
   * refused address), or past its stale-if-error grace, is dropped, not kept as a fallback. The
   * origin no longer vouches for it, and serving it anyway would be caching the error by another name.
   */
  function dropAfterFailure(url: string, previous: DocumentEntry<T> | undefined): void {
    if (previous !== undefined && entries.peek(url) === previous) entries.delete(url);
  }

  /** Single-flight: one fetch per URL at a time; every caller meanwhile shares its outcome. */
  function flight(url: string, previous: DocumentEntry<T> | undefined): Promise<CachedDocument<T>> {
    const existing = inflight.get(url);
    if (existing !== undefined) return existing.promise;
    // The flight object is its own identity: load() stores only while it is still the URL's flight.
    const own = {} as Flight<T>;
    inflight.set(url, own);
    own.promise = load(url, previous, own).finally(() => {
      if (inflight.get(url) === own) inflight.delete(url);
    });
    return own.promise;
  }

  async function get(url: string, getOptions: GetOptions = {}): Promise<CachedDocument<T>> {
    const now = clock();
    const entry = entries.peek(url);
    if (entry !== undefined) {
      const doc = entry.doc;
      let forced = getOptions.forceRefresh === true;
      const cooling =
        now - doc.fetchedAt < cooldown || (entry.failure !== undefined && now < entry.failure.retryAt);
      if (forced && cooling && getOptions.ignoreCooldown !== true) {
        // A forced refresh may not hammer a host: within the cooldown (or before the next retry of
        // a failing origin) it is an ordinary get.
        counters.forceRefreshCooledDown++;
        forced = false;
      }
      if (!forced && now < doc.expiresAt) {
        touch(url);
        counters.hits++;
        emit('hit', url);
        return doc;
      }
      if (!forced && entry.failure !== undefined && now < doc.staleIfErrorUntil) {
        touch(url);
        // The origin failed last time: one retry at a time, each staleRetryMs after the last.
        if (now >= entry.failure.retryAt) flight(url, entry).catch(() => undefined);
        return servedDuringFailure(url, entry, now);
      }
      if (!forced && entry.failure === undefined && now < doc.staleUntil) {
        touch(url);
        counters.staleServed++;
        emit('stale_served', url);
        // One background revalidation (single-flight); its failure is reported by events and
        // drops the entry, and must not surface as an unhandled rejection.
        flight(url, entry).catch(() => undefined);
        return doc;
      }
    } else if (!inflight.has(url)) {
      counters.misses++;
      emit('miss', url);
    }
    return flight(url, entry);
  }

  /** The LRU touch of a hit: lru-cache's `get` moves the entry to the most recently used end. */
  function touch(url: string): void {
    entries.get(url);
  }

  /** Until when `get` answers an entry from memory: its stale window, or its grace once the origin failed. */
  function usableUntil(entry: DocumentEntry<T>): number {
    return entry.failure === undefined ? entry.doc.staleUntil : entry.doc.staleIfErrorUntil;
  }

  function peek(url: string): CachedDocument<T> | undefined {
    const entry = entries.peek(url);
    if (entry === undefined || clock() >= usableUntil(entry)) return undefined;
    return entry.doc;
  }

  async function adopt(url: string, shared: SharedDocument): Promise<CachedDocument<T> | undefined> {
    // CIMD-CACHE-7 holds here too: never used longer than maxTtl after the origin vouched for it.
    const expiresAt = Math.min(shared.expiresAt, shared.fetchedAt + maxTtl);
    const now = clock();
    const current = entries.peek(url);
    // Ours stays unless the stored one was confirmed later (another instance revalidated it).
    if (current !== undefined && now < current.doc.expiresAt && expiresAt <= current.doc.expiresAt)
      return current.doc;
    // Expired, but within the grace the fetching instance gave it: kept, when memory holds
    // nothing, as an expired entry, so the next get revalidates it conditionally and serves it if
    // the origin fails (decision 0035). Not returned: it is not fresh.
    const seed = now >= expiresAt;
    if (seed && (current !== undefined || inflight.has(url) || now >= (shared.staleIfErrorUntil ?? 0)))
      return undefined;
    let value: T;
    try {
      const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(shared.body));
      // CIMD-CACHE-4: the stored body is validated again, under this instance's policy, before use.
      value = await validate(parsed, url);
    } catch {
      return undefined;
    }
    const entry = sharedEntry(Policy, url, shared, value, expiresAt);
    // A fetch of our own under way wins: it is newer than anything the store had.
    if (!inflight.has(url)) store(entry);
    if (seed) return undefined;
    emit('shared_hit', url);
    return entry.doc;
  }

  function del(url: string): void {
    entries.delete(url);
    // Disowns a fetch under way: its callers still get its outcome, but it will not be stored.
    inflight.delete(url);
  }

  function fresh(url: string): CachedDocument<T> | undefined {
    const entry = entries.peek(url);
    if (entry === undefined || clock() >= entry.doc.expiresAt) return undefined;
    touch(url);
    counters.hits++;
    emit('hit', url);
    return entry.doc;
  }

  function refuseEarly(url: string): EarlyRefusal | undefined {
    // A usable entry (fresh, or stale with a background revalidation) or a fetch to join: get()
    // answers without a new admission (the stampede's 1,000 callers share one fetch).
    const entry = entries.peek(url);
    if (entry !== undefined && clock() < usableUntil(entry)) return undefined;
    if (inflight.has(url)) return undefined;
    // URL.parse: no exception (and no stack) for an unparsable URL; get() reports that one itself.
    const host = URL.parse(url)?.hostname;
    if (host === undefined) return undefined;
    const reason = governor.check(host);
    if (reason === undefined) return undefined;
    counters.governorRefusals++;
    emit('governor_refused', url, reason);
    return { reason, host };
  }

  const stats = (): DocumentCacheStats => ({
    ...{ entries: entries.size, bytes: entries.calculatedSize, maxBytes, inflight: inflight.size },
    ...counters,
  });

  return { get, peek, adopt, delete: del, refuseEarly, fresh, stats };
}
