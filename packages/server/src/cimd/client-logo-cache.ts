/**
 * Client logos (CIMD-CACHE-6): a client's `logo_uri` is fetched by the server through the hardened
 * fetcher, checked, kept in memory, and served from the server's own origin. The user's browser never
 * talks to the logo host, so the host cannot track who is consenting to what, and an operator can
 * moderate what is shown. The logo is as self-asserted as the client's name (CIMD-UI-2, CIMD-UI-5):
 * the consent page labels it as the client's own.
 *
 * - Only raster images (PNG, JPEG, GIF, WebP). Never SVG: it is a document that can carry script.
 *   The type must be declared by the Content-Type AND confirmed by the file's magic bytes; a header
 *   alone proves nothing, and the type served is the one both agree on.
 * - Keyed by a digest of the logo URL, so the serving route takes no URL and cannot be made to fetch:
 *   `get` only reads what `prefetch` stored.
 * - Fresh for `ttlMs` (default 1 h, the lifetime of a document the cache has not been told otherwise
 *   about); an expired logo is fetched again on the next consent page that needs it.
 * - Single-flight per URL; a byte-bounded LRU (default 2 MiB).
 * - Failures are not cached as logos, but a URL that just failed is not tried again for
 *   `failureCooldownMs` (default 5 min): otherwise a broken or slow logo host would cost one
 *   outbound fetch, and up to one fetch deadline of waiting, on every consent page view.
 */
import { createHash } from 'node:crypto';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { LRUCache } from 'lru-cache';
import { jsonResponse } from '../http/responses.ts';

/** The raster types accepted; the header's value, lower-case, without parameters. */
export type LogoContentType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export interface ClientLogo {
  /** Our own copy of the bytes (an ArrayBuffer of its own, so it can be a Response body). */
  body: Uint8Array<ArrayBuffer>;
  /** Verified by header and magic bytes: the only Content-Type the logo is ever served with. */
  contentType: LogoContentType;
}

export interface ClientLogoCacheOptions {
  /** The hardened fetcher (https only, address checks, deadline); tests pass a stub. */
  fetch: SafeFetch;
  /** Epoch milliseconds. Default `Date.now`. */
  clock?: () => number;
  /** Bound on the bytes held (bodies plus a per-entry allowance), LRU eviction. Default 2 MiB. */
  maxBytes?: number;
  /** How long a fetched logo is served before it is fetched again. Default 1 h. */
  ttlMs?: number;
  /** How long a URL that failed is left alone. Default 5 min. */
  failureCooldownMs?: number;
  /** Told about every refused or failed logo (metrics, logs). Its own errors are swallowed. */
  onFailure?: (url: string, reason: string) => void;
}

export interface ClientLogoCache {
  /**
   * Makes the logo at `logoUri` available and returns its key, or undefined when there is none to
   * show (not https, fetch failed, not an accepted image, cooling down). Never rejects.
   */
  prefetch(logoUri: string): Promise<string | undefined>;
  /** The stored logo for a key, if still fresh. Never fetches. */
  get(key: string): ClientLogo | undefined;
}

export const LOGO_MAX_FETCH_BYTES = 64 * 1024;
export const DEFAULT_LOGO_CACHE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_LOGO_TTL_MS = 60 * 60_000;
export const DEFAULT_LOGO_FAILURE_COOLDOWN_MS = 5 * 60_000;
export const LOGO_ACCEPT = 'image/png, image/jpeg, image/gif, image/webp';
/** Charged per entry on top of its body, so many tiny logos cannot escape the bound. */
const ENTRY_OVERHEAD_BYTES = 256;
/** Bound on the remembered failures: each is only a URL and a time, but URLs are attacker-chosen. */
const MAX_FAILURES_REMEMBERED = 1024;

const ACCEPTED: ReadonlySet<string> = new Set<LogoContentType>([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.byteLength < at + prefix.length) return false;
  return prefix.every((byte, i) => bytes[at + i] === byte);
}

const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));

/** Pure: the raster type the file's magic bytes say it is, if any we accept. */
export function sniffLogoType(body: Uint8Array): LogoContentType | undefined {
  if (startsWith(body, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(body, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(body, ascii('GIF87a')) || startsWith(body, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(body, ascii('RIFF')) && startsWith(body, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

/** Pure: the media type of a Content-Type header, lower-case, without parameters. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Pure: the cache key of a logo URL (SHA-256, base64url); the route only ever sees this. */
export function logoKeyOf(logoUri: string): string {
  return createHash('sha256').update(logoUri, 'utf8').digest('base64url');
}

class LogoRefused extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`logo refused: ${reason}`);
    this.reason = reason;
  }
}

function reasonOf(error: unknown): string {
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string') return reason;
  return error instanceof Error ? error.name : 'error';
}

interface Entry {
  logo: ClientLogo;
  expiresAt: number;
  size: number;
}

export function createClientLogoCache(options: ClientLogoCacheOptions): ClientLogoCache {
  const clock = options.clock ?? Date.now;
  const maxBytes = options.maxBytes ?? DEFAULT_LOGO_CACHE_BYTES;
  const ttl = options.ttlMs ?? DEFAULT_LOGO_TTL_MS;
  const cooldown = options.failureCooldownMs ?? DEFAULT_LOGO_FAILURE_COOLDOWN_MS;
  if (!(maxBytes > 0 && ttl > 0 && cooldown >= 0)) throw new TypeError('invalid logo cache limits');
  const { fetch } = options;

  // Byte-bounded LRU (lru-cache, decision 0023): `get` is the touch of a use, `peek` reads without one.
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (entry) => entry.size });
  // In-flight coalescing, not a cache: one promise per URL being fetched, gone when it settles.
  const inflight = new Map<string, Promise<string | undefined>>();
  /** URL → time until which it is not fetched again. Oldest first: dropping one early only costs a fetch sooner. */
  const failures = new LRUCache<string, number>({ max: MAX_FAILURES_REMEMBERED });

  function store(key: string, entry: Entry): boolean {
    entries.delete(key);
    if (entry.size > maxBytes) return false;
    entries.set(key, entry);
    return true;
  }

  function fail(url: string, reason: string): undefined {
    failures.set(url, clock() + cooldown);
    try {
      options.onFailure?.(url, reason);
    } catch {
      // Reporting must never break a consent page.
    }
    return undefined;
  }

  async function load(url: string, key: string): Promise<string | undefined> {
    try {
      const response = await fetch(url, {
        accept: LOGO_ACCEPT,
        expectJson: false,
        maxBytes: LOGO_MAX_FETCH_BYTES,
      });
      if (response.status !== 200) throw new LogoRefused('status_not_200');
      const body = response.body;
      // The fetcher enforces the cap while streaming; checked again so no fetcher can exceed it.
      if (body.byteLength > LOGO_MAX_FETCH_BYTES) throw new LogoRefused('body_too_large');
      const declared = mediaTypeOf(response.headers.get('content-type'));
      if (!ACCEPTED.has(declared)) throw new LogoRefused('content_type');
      const sniffed = sniffLogoType(body);
      if (sniffed === undefined || sniffed !== declared) throw new LogoRefused('magic_mismatch');
      // A copy: the stored bytes must not share a buffer with anything the fetcher still holds.
      const logo: ClientLogo = { body: Uint8Array.from(body), contentType: sniffed };
      const size = body.byteLength + url.length + ENTRY_OVERHEAD_BYTES;
      if (!store(key, { logo, expiresAt: clock() + ttl, size })) throw new LogoRefused('too_large');
      failures.delete(url);
      return key;
    } catch (error) {
      entries.delete(key);
      return fail(url, reasonOf(error));
    }
  }

  function prefetch(logoUri: string): Promise<string | undefined> {
    let url: URL;
    try {
      url = new URL(logoUri);
    } catch {
      return Promise.resolve(undefined);
    }
    // https only (the fetcher refuses the rest too; checking here spares a refusal per page view).
    if (url.protocol !== 'https:') return Promise.resolve(undefined);
    const key = logoKeyOf(logoUri);
    const now = clock();
    const entry = entries.peek(key);
    if (entry !== undefined && now < entry.expiresAt) {
      entries.get(key); // the LRU touch of a use
      return Promise.resolve(key);
    }
    const until = failures.peek(logoUri);
    if (until !== undefined) {
      if (now < until) return Promise.resolve(undefined);
      failures.delete(logoUri);
    }
    const existing = inflight.get(logoUri);
    if (existing !== undefined) return existing;
    const flight = load(logoUri, key).finally(() => inflight.delete(logoUri));
    inflight.set(logoUri, flight);
    return flight;
  }

  function get(key: string): ClientLogo | undefined {
    const entry = entries.peek(key);
    if (entry === undefined) return undefined;
    if (clock() >= entry.expiresAt) {
      entries.delete(key);
      return undefined;
    }
    return entry.logo;
  }

  return { prefetch, get };
}

/**
 * `GET {issuer}/client-logo/:key`: serves only what `prefetch` stored, with the verified type, no
 * sniffing, and a CSP that makes the response inert even when opened as a document.
 */
export function clientLogoResponse(cache: ClientLogoCache, key: string): Response {
  const logo = cache.get(key);
  if (logo === undefined) return jsonResponse({ error: 'not_found' }, { status: 404 });
  return new Response(logo.body, {
    status: 200,
    headers: {
      'content-type': logo.contentType,
      'content-length': String(logo.body.byteLength),
      'cache-control': 'private, max-age=3600',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      // Only our own pages embed it: the cache is not a free image host for other sites.
      'cross-origin-resource-policy': 'same-origin',
    },
  });
}
