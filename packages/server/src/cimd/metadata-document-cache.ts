/**
 * The Client ID Metadata Document cache (CIMD-CACHE-1 … -5, -7): RFC 9111 freshness from the
 * response headers (via `http-cache-semantics`) clamped to [minTtl, maxTtl], ETag / Last-Modified
 * revalidation, validation before anything is stored, no caching of errors, single-flight per URL,
 * stale-while-revalidate inside the max TTL, a rate-limited forced refresh, and a memory bound in
 * bytes with LRU eviction. Every network fetch goes through the fetch governor; hits never do.
 *
 * The choices the draft leaves open (no-store, failed revalidation, the stale window) are recorded
 * with their reasons in docs/decisions/0007-cimd-cache.md.
 */
import { createHash } from 'node:crypto';
import { type SafeFetch, SafeFetchError, type SafeResponse } from '@gatehouse/safe-fetch';
import CachePolicy from 'http-cache-semantics';
import { cimdDefaults } from '../config/cimd-schema.ts';
import { type FetchGovernor, type GovernorRefusalReason, isGovernorRefusedError } from './fetch-governor.ts';

export interface CachedDocument<T> {
  url: string;
  /** What `validate` returned for the body. */
  value: T;
  /** The raw body, as fetched (kept for the digest, audit and the second-level store). */
  body: Uint8Array;
  /** SHA-256 of `body`, base64url. */
  digest: string;
  /** When the origin last confirmed this body (a 200, or a 304 to a conditional request). */
  fetchedAt: number;
  /** Fresh until then (RFC 9111 lifetime clamped to [minTtl, maxTtl], CIMD-CACHE-2). */
  expiresAt: number;
  /** May be served stale (while one revalidation runs) until then; never past fetchedAt + maxTtl. */
  staleUntil: number;
  etag?: string;
  lastModified?: string;
  /** True when the last confirmation was a 304 to a conditional request. */
  revalidated: boolean;
  /** Set when the body came from the shared second level (another instance fetched it), not the network. */
  source?: 'shared';
}

/**
 * A version another instance fetched, validated and recorded in the store (the second level of the
 * cache, for several instances): its body and the freshness that instance computed.
 */
export interface SharedDocument {
  body: Uint8Array;
  /** When the origin last confirmed this body. */
  fetchedAt: number;
  /** Fresh until then, as computed by the instance that fetched it. */
  expiresAt: number;
  etag?: string;
  lastModified?: string;
}

export type CacheEventType =
  | 'hit'
  | 'miss'
  | 'revalidated'
  | 'refreshed'
  | 'stale_served'
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
  /** Bound on the bytes held (bodies plus a per-entry allowance), LRU eviction. Default 8 MiB. */
  maxBytes?: number;
  /** Metrics and audit. Its own errors are swallowed. */
  onEvent?: (event: CacheEvent) => void;
}

export interface GetOptions {
  /** Bypass freshness (re-fetch once on redirect_uri mismatch); still single-flight and cooled down. */
  forceRefresh?: boolean;
}

export interface DocumentCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  inflight: number;
  hits: number;
  misses: number;
  staleServed: number;
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
  /** The stored document if it is still usable (fresh or within the stale window); no network, no LRU touch. */
  peek(url: string): CachedDocument<T> | undefined;
  /**
   * Takes a version from the shared second level when it is still fresh and validates now: the next
   * `get` is then a hit, without a network fetch. Returns undefined (and keeps nothing) otherwise.
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

export type DocumentCacheErrorReason =
  /** The 200 body is not JSON. */
  | 'invalid_json'
  /** A 304 whose validators do not match the stored response (RFC 9111 §4.3.4): the body is unconfirmed. */
  | 'revalidation_mismatch'
  /** A 304 to a request that carried no validator. */
  | 'unexpected_not_modified';

export class DocumentCacheError extends Error {
  override readonly name = 'DocumentCacheError';
  readonly reason: DocumentCacheErrorReason;
  readonly url: string;

  constructor(reason: DocumentCacheErrorReason, url: string, cause?: unknown) {
    super(`client metadata document ${url}: ${reason}`, cause === undefined ? undefined : { cause });
    this.reason = reason;
    this.url = url;
  }
}

// The cache's defaults are the configuration's (config/cimd-schema.ts), for callers that build one alone.
export const DEFAULT_MIN_TTL_MS = cimdDefaults.minTtlSeconds * 1000;
export const DEFAULT_MAX_TTL_MS = cimdDefaults.maxTtlSeconds * 1000;
export const DEFAULT_STALE_WHILE_REVALIDATE_MS = 60_000;
export const DEFAULT_FORCE_REFRESH_COOLDOWN_MS = cimdDefaults.refreshCooldownSeconds * 1000;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
/**
 * Charged per entry on top of its body: the parsed value, headers, policy and map slots are not
 * measured, and without an allowance many empty bodies would escape the bound.
 */
export const ENTRY_OVERHEAD_BYTES = 512;

type PolicyConstructor = new (
  request: CachePolicy.HttpRequest,
  response: CachePolicy.HttpResponse,
  options?: CachePolicy.Options,
) => CachePolicy;

/** A CachePolicy that reads our clock, so ages and tests are deterministic (the library allows this). */
function clockedPolicy(clock: () => number): PolicyConstructor {
  return class ClockedCachePolicy extends CachePolicy {
    now(): number {
      return clock();
    }
  };
}

/** Pure: the value clamped into [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Pure: the directive names of a Cache-Control header, lower-cased. */
export function cacheDirectives(cacheControl: string | null): Set<string> {
  const names = (cacheControl ?? '').split(',').map((d) => d.split('=')[0]?.trim().toLowerCase() ?? '');
  return new Set(names.filter((n) => n !== ''));
}

/**
 * Pure: whether the origin forbids serving this response stale. RFC 9111 §5.2.2.2/.4/.5/.8:
 * must-revalidate, proxy-revalidate (we are a shared cache), no-cache and no-store all say "do not
 * use without asking me first", so such an entry gets no stale window at all.
 */
export function forbidsStale(cacheControl: string | null): boolean {
  const d = cacheDirectives(cacheControl);
  return d.has('must-revalidate') || d.has('proxy-revalidate') || d.has('no-cache') || d.has('no-store');
}

/** Pure: the RFC 9111 freshness left on a policy right after its response arrived, in ms (>= 0). */
export function policyFreshnessMs(policy: CachePolicy): number {
  return Math.max(0, (policy.maxAge() - policy.age()) * 1000);
}

function headerRecord(headers: Headers): CachePolicy.Headers {
  return Object.fromEntries(headers);
}

function toHeaders(record: CachePolicy.Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

function digestOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

function reasonOf(error: unknown): string {
  const reason = (error as { reason?: unknown; code?: unknown } | null)?.reason;
  if (typeof reason === 'string') return reason;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'error';
}

interface Entry<T> {
  doc: CachedDocument<T>;
  policy: CachePolicy;
  size: number;
}

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
  if (!(minTtl >= 0 && maxTtl >= minTtl)) throw new TypeError('need 0 <= minTtlMs <= maxTtlMs');
  if (!(swr >= 0 && cooldown >= 0 && maxBytes > 0)) throw new TypeError('invalid cache limits');
  const Policy = clockedPolicy(clock);
  const { fetch, validate, governor } = options;

  // Map order is the LRU order: a hit re-inserts the entry at the end.
  const entries = new Map<string, Entry<T>>();
  const inflight = new Map<string, Flight<T>>();
  let bytes = 0;
  const counters = {
    hits: 0,
    misses: 0,
    staleServed: 0,
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

  function remove(url: string): void {
    const entry = entries.get(url);
    if (entry === undefined) return;
    entries.delete(url);
    bytes -= entry.size;
  }

  function store(entry: Entry<T>): void {
    remove(entry.doc.url);
    if (entry.size > maxBytes) {
      // Never happens with the 5 KB fetch cap and the default bound; the document is still returned.
      counters.evictions++;
      emit('evicted', entry.doc.url, 'too_large');
      return;
    }
    entries.set(entry.doc.url, entry);
    bytes += entry.size;
    for (const [url, victim] of entries) {
      if (bytes <= maxBytes) break;
      entries.delete(url);
      bytes -= victim.size;
      counters.evictions++;
      emit('evicted', url, 'lru');
    }
  }

  /** Builds the stored document from a policy whose response just arrived (CIMD-CACHE-2 clamp). */
  function freshDocument(
    url: string,
    policy: CachePolicy,
    headers: Headers,
    value: T,
    body: Uint8Array,
    digest: string,
    now: number,
    revalidated: boolean,
  ): CachedDocument<T> {
    const expiresAt = now + clamp(policyFreshnessMs(policy), minTtl, maxTtl);
    const window = forbidsStale(headers.get('cache-control')) ? 0 : swr;
    const doc: CachedDocument<T> = {
      url,
      value,
      body,
      digest,
      fetchedAt: now,
      expiresAt,
      // CIMD-CACHE-7: whatever the stale window, nothing is used longer than maxTtl after the origin
      // last vouched for it, so a key removed from a document stops working within maxTtl.
      staleUntil: Math.min(expiresAt + window, now + maxTtl),
      revalidated,
    };
    const etag = headers.get('etag');
    const lastModified = headers.get('last-modified');
    if (etag !== null) doc.etag = etag;
    if (lastModified !== null) doc.lastModified = lastModified;
    return doc;
  }

  /** The conditional headers for a stored document (RFC 9111 §4.3.1). */
  function conditional(doc: CachedDocument<T>): { 'if-none-match'?: string; 'if-modified-since'?: string } {
    const headers: { 'if-none-match'?: string; 'if-modified-since'?: string } = {};
    if (doc.etag !== undefined) headers['if-none-match'] = doc.etag;
    if (doc.lastModified !== undefined) headers['if-modified-since'] = doc.lastModified;
    return headers;
  }

  function onNotModified(url: string, previous: Entry<T> | undefined, response: SafeResponse): Entry<T> {
    if (previous === undefined) throw new DocumentCacheError('unexpected_not_modified', url);
    const request = { url, method: 'GET', headers: {} };
    const { policy, matches } = previous.policy.revalidatedPolicy(request, {
      status: 304,
      headers: headerRecord(response.headers),
    });
    // A 304 only confirms the body whose validator it names; otherwise we hold an unconfirmed body.
    if (!matches) throw new DocumentCacheError('revalidation_mismatch', url);
    // The 304's headers replace the stored ones (RFC 9111 §4.3.4); the body was validated already.
    const merged = toHeaders(policy.toObject().resh);
    const now = clock();
    const old = previous.doc;
    const doc = freshDocument(url, policy, merged, old.value, old.body, old.digest, now, true);
    return { doc, policy, size: previous.size };
  }

  async function onOk(url: string, response: SafeResponse): Promise<Entry<T>> {
    let parsed: unknown;
    try {
      parsed = response.json();
    } catch (error) {
      throw new DocumentCacheError('invalid_json', url, error);
    }
    // CIMD-CACHE-4: validation happens before anything is stored; a throw here stores nothing.
    const value = await validate(parsed, url);
    const now = clock();
    const request = { url, method: 'GET', headers: {} };
    const policy = new Policy(request, { status: 200, headers: headerRecord(response.headers) });
    const body = response.body;
    const doc = freshDocument(url, policy, response.headers, value, body, digestOf(body), now, false);
    return { doc, policy, size: body.byteLength + url.length + ENTRY_OVERHEAD_BYTES };
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
    previous: Entry<T> | undefined,
    own: Flight<T>,
  ): Promise<CachedDocument<T>> {
    let response: SafeResponse;
    try {
      const host = hostOf(url);
      const init = previous === undefined ? {} : { headers: conditional(previous.doc) };
      response = await governor.run(host, () => fetch(url, init));
    } catch (error) {
      if (isGovernorRefusedError(error)) {
        // Our own load shedding says nothing about the document: keep what we have (it is still
        // bounded by staleUntil), store nothing new.
        counters.governorRefusals++;
        emit('governor_refused', url, error.reason);
        throw error;
      }
      dropAfterFailure(url, previous);
      counters.fetchFailures++;
      emit('fetch_failed', url, reasonOf(error));
      throw error;
    }

    let entry: Entry<T>;
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
   * CIMD-CACHE-3/4 with issue #77: an entry whose revalidation fails (error status, network failure,
   * invalid body, unmatched 304) is dropped, not kept as a fallback. The origin no longer vouches
   * for it, and serving it anyway would be caching the error by another name.
   */
  function dropAfterFailure(url: string, previous: Entry<T> | undefined): void {
    if (previous !== undefined && entries.get(url) === previous) remove(url);
  }

  /** Single-flight: one fetch per URL at a time; every caller meanwhile shares its outcome. */
  function flight(url: string, previous: Entry<T> | undefined): Promise<CachedDocument<T>> {
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
    const entry = entries.get(url);
    if (entry !== undefined) {
      const doc = entry.doc;
      let forced = getOptions.forceRefresh === true;
      if (forced && now - doc.fetchedAt < cooldown) {
        // A forced refresh may not hammer a host: within the cooldown it is an ordinary get.
        counters.forceRefreshCooledDown++;
        forced = false;
      }
      if (!forced && now < doc.expiresAt) {
        touch(url, entry);
        counters.hits++;
        emit('hit', url);
        return doc;
      }
      if (!forced && now < doc.staleUntil) {
        touch(url, entry);
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

  function touch(url: string, entry: Entry<T>): void {
    entries.delete(url);
    entries.set(url, entry);
  }

  function peek(url: string): CachedDocument<T> | undefined {
    const entry = entries.get(url);
    if (entry === undefined || clock() >= entry.doc.staleUntil) return undefined;
    return entry.doc;
  }

  async function adopt(url: string, shared: SharedDocument): Promise<CachedDocument<T> | undefined> {
    // CIMD-CACHE-7 holds here too: never used longer than maxTtl after the origin vouched for it.
    const expiresAt = Math.min(shared.expiresAt, shared.fetchedAt + maxTtl);
    const current = entries.get(url);
    if (current !== undefined && clock() < current.doc.expiresAt) return current.doc;
    if (clock() >= expiresAt) return undefined;
    let value: T;
    try {
      const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(shared.body));
      // CIMD-CACHE-4: the stored body is validated again, under this instance's policy, before use.
      value = await validate(parsed, url);
    } catch {
      return undefined;
    }
    const headers: CachePolicy.Headers = {};
    if (shared.etag !== undefined) headers.etag = shared.etag;
    if (shared.lastModified !== undefined) headers['last-modified'] = shared.lastModified;
    // The validators make the revalidation after expiry a conditional request, as for our own fetch.
    const policy = new Policy({ url, method: 'GET', headers: {} }, { status: 200, headers });
    const doc: CachedDocument<T> = {
      url,
      value,
      body: shared.body,
      digest: digestOf(shared.body),
      fetchedAt: shared.fetchedAt,
      expiresAt,
      // No stale window: past its expiry this instance asks the origin itself.
      staleUntil: expiresAt,
      revalidated: false,
      source: 'shared',
    };
    if (shared.etag !== undefined) doc.etag = shared.etag;
    if (shared.lastModified !== undefined) doc.lastModified = shared.lastModified;
    // A fetch of our own under way wins: it is newer than anything the store had.
    if (!inflight.has(url))
      store({ doc, policy, size: shared.body.byteLength + url.length + ENTRY_OVERHEAD_BYTES });
    emit('shared_hit', url);
    return doc;
  }

  function del(url: string): void {
    remove(url);
    // Disowns a fetch under way: its callers still get its outcome, but it will not be stored.
    inflight.delete(url);
  }

  function fresh(url: string): CachedDocument<T> | undefined {
    const entry = entries.get(url);
    if (entry === undefined || clock() >= entry.doc.expiresAt) return undefined;
    touch(url, entry);
    counters.hits++;
    emit('hit', url);
    return entry.doc;
  }

  function refuseEarly(url: string): EarlyRefusal | undefined {
    // A usable entry (fresh, or stale with a background revalidation) or a fetch to join: get()
    // answers without a new admission (the stampede's 1,000 callers share one fetch).
    const entry = entries.get(url);
    if (entry !== undefined && clock() < entry.doc.staleUntil) return undefined;
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

  function stats(): DocumentCacheStats {
    return { entries: entries.size, bytes, maxBytes, inflight: inflight.size, ...counters };
  }

  return { get, peek, adopt, delete: del, refuseEarly, fresh, stats };
}
