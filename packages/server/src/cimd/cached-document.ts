/**
 * A cached Client ID Metadata Document and its RFC 9111 freshness (CIMD-CACHE-2, -7): the lifetime
 * from the response headers clamped to [minTtl, maxTtl], the stale window, the stale-if-error grace
 * (decision 0035) and the conditional headers of its revalidation. Pure functions, apart from the
 * clock a policy is given.
 */
import { createHash } from 'node:crypto';
import CachePolicy from 'http-cache-semantics';
import { staleIfErrorUntil } from './stale-if-error.ts';

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
  /**
   * May be served until then while its origin fails (stale-if-error, decision 0035): its expiry
   * plus the grace, or its expiry when the origin forbids stale use.
   */
  staleIfErrorUntil: number;
  /**
   * Set while the origin fails and this version is kept (stale-if-error): since when it fails, and
   * why. Past `expiresAt` the version is then served stale, until `staleIfErrorUntil`.
   */
  originFailure?: { since: number; reason: string };
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
  /** Until when that instance would serve it while the origin fails; without it, no grace. */
  staleIfErrorUntil?: number;
}

/**
 * Charged per entry on top of its body: the parsed value, headers, policy and map slots are not
 * measured, and without an allowance many empty bodies would escape the bound.
 */
export const ENTRY_OVERHEAD_BYTES = 512;

/** What the cache holds per URL: the document, its RFC 9111 policy, and its size for the byte bound. */
export interface DocumentEntry<T> {
  doc: CachedDocument<T>;
  policy: CachePolicy;
  size: number;
  /** The origin failed at the last attempt to revalidate (stale-if-error): when to try again. */
  failure?: { retryAt: number };
}

/** The bytes an entry is charged: its body, its URL and the per-entry allowance. */
export function entrySize(url: string, body: Uint8Array): number {
  return body.byteLength + url.length + ENTRY_OVERHEAD_BYTES;
}

/** The freshness limits of a cache (milliseconds). */
export interface FreshnessLimits {
  minTtl: number;
  maxTtl: number;
  /** The stale-while-revalidate window. */
  swr: number;
  /** The stale-if-error grace after expiry (decision 0035). */
  staleIfError: number;
}

export type PolicyConstructor = new (
  request: CachePolicy.HttpRequest,
  response: CachePolicy.HttpResponse,
  options?: CachePolicy.Options,
) => CachePolicy;

/** A CachePolicy that reads our clock, so ages and tests are deterministic (the library allows this). */
export function clockedPolicy(clock: () => number): PolicyConstructor {
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

export function headerRecord(headers: Headers): CachePolicy.Headers {
  return Object.fromEntries(headers);
}

export function toHeaders(record: CachePolicy.Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

export function digestOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/** Builds the stored document from a policy whose response just arrived (CIMD-CACHE-2 clamp). */
export function freshDocument<T>(
  limits: FreshnessLimits,
  url: string,
  policy: CachePolicy,
  headers: Headers,
  value: T,
  body: Uint8Array,
  digest: string,
  now: number,
  revalidated: boolean,
): CachedDocument<T> {
  const { minTtl, maxTtl, swr } = limits;
  const expiresAt = now + clamp(policyFreshnessMs(policy), minTtl, maxTtl);
  const staleForbidden = forbidsStale(headers.get('cache-control'));
  const window = staleForbidden ? 0 : swr;
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
    // The one use past maxTtl (decision 0035): only while the origin cannot answer, so no change
    // the origin publishes (a key removed) is ever hidden by it; bounded by the grace.
    staleIfErrorUntil: staleIfErrorUntil(expiresAt, staleForbidden, limits.staleIfError),
    revalidated,
  };
  const etag = headers.get('etag');
  const lastModified = headers.get('last-modified');
  if (etag !== null) doc.etag = etag;
  if (lastModified !== null) doc.lastModified = lastModified;
  return doc;
}

/** The conditional headers for a stored document (RFC 9111 §4.3.1). */
export function conditionalHeaders<T>(doc: CachedDocument<T>): {
  'if-none-match'?: string;
  'if-modified-since'?: string;
} {
  const headers: { 'if-none-match'?: string; 'if-modified-since'?: string } = {};
  if (doc.etag !== undefined) headers['if-none-match'] = doc.etag;
  if (doc.lastModified !== undefined) headers['if-modified-since'] = doc.lastModified;
  return headers;
}

/** The entry for a 200 whose body `validate` accepted as `value` (CIMD-CACHE-4 ran before this). */
export function fetchedEntry<T>(
  limits: FreshnessLimits,
  Policy: PolicyConstructor,
  url: string,
  headers: Headers,
  body: Uint8Array,
  value: T,
  now: number,
): DocumentEntry<T> {
  const request = { url, method: 'GET', headers: {} };
  const policy = new Policy(request, { status: 200, headers: headerRecord(headers) });
  const doc = freshDocument(limits, url, policy, headers, value, body, digestOf(body), now, false);
  return { doc, policy, size: entrySize(url, body) };
}

/**
 * The entry a 304 makes of `previous` (RFC 9111 §4.3.4), or undefined when the 304 does not name
 * the stored body's validator: then the body is unconfirmed.
 */
export function revalidatedEntry<T>(
  limits: FreshnessLimits,
  url: string,
  previous: DocumentEntry<T>,
  headers: Headers,
  now: number,
): DocumentEntry<T> | undefined {
  const request = { url, method: 'GET', headers: {} };
  const { policy, matches } = previous.policy.revalidatedPolicy(request, {
    status: 304,
    headers: headerRecord(headers),
  });
  if (!matches) return undefined;
  // The 304's headers replace the stored ones (RFC 9111 §4.3.4); the body was validated already.
  const merged = toHeaders(policy.toObject().resh);
  const old = previous.doc;
  const doc = freshDocument(limits, url, policy, merged, old.value, old.body, old.digest, now, true);
  return { doc, policy, size: previous.size };
}

/** The entry for a version from the shared second level, fresh until `expiresAt`, validated as `value`. */
export function sharedEntry<T>(
  Policy: PolicyConstructor,
  url: string,
  shared: SharedDocument,
  value: T,
  expiresAt: number,
): DocumentEntry<T> {
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
    // The grace the fetching instance computed (the response's Cache-Control is not recorded).
    staleIfErrorUntil: Math.max(expiresAt, shared.staleIfErrorUntil ?? expiresAt),
    revalidated: false,
    source: 'shared',
  };
  if (shared.etag !== undefined) doc.etag = shared.etag;
  if (shared.lastModified !== undefined) doc.lastModified = shared.lastModified;
  return { doc, policy, size: entrySize(url, shared.body) };
}
