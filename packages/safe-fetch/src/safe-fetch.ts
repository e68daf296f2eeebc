/**
 * The hardened outbound fetcher: one GET, checked at every step, for CIMD documents (draft-ietf-oauth-
 * client-id-metadata-document-02 §5, §8.6, §8.7), jwks_uri, logos and software statement keys. The
 * requirement IDs (CIMD-FETCH-n, AT-15) are listed in docs/requirements.md.
 */
import type { Socket } from 'node:net';
import type { buildConnector, Dispatcher } from 'undici';
import type { AddressPolicy } from './address-check.ts';
import {
  createCheckedAgent,
  createCheckedConnector,
  createProxyDispatcher,
  type TrustOptions,
  trustAnchors,
  trustContext,
} from './dispatchers.ts';
import { SafeFetchError } from './errors.ts';
import { classifyNetworkError, findSafeFetchError } from './network-error.ts';
import { createPeerCertificates, type PeerCertificate } from './peer-certificate.ts';
import { type Resolver, systemResolver } from './resolver.ts';
import { assertIdentityCoding, isJsonMediaType } from './response-checks.ts';
import { parseTargetUrl } from './target-url.ts';

/** CIMD-FETCH-10: the draft recommends a 5 KB cap for the document. */
export const DEFAULT_MAX_BYTES = 5 * 1024;
/** CIMD-FETCH-11: the draft sets none; 5 s is the low end of the 5–10 s docs/requirements.md plans on. */
export const DEFAULT_DEADLINE_MS = 5_000;
export const DEFAULT_USER_AGENT = 'Gatehouse/0.1 (+https://github.com/gatehouse)';
/** CIMD-FETCH-12: harmless today, and what PR #63's `application/cimd+json` would refine. */
export const DEFAULT_ACCEPT = 'application/json';

/** Per-fetch limits and expectations; set defaults for them on the fetcher, override per call. */
export interface FetchLimits {
  /** Byte cap on the body, checked while streaming. Default 5120 (CIMD-FETCH-10). */
  maxBytes?: number;
  /** One deadline over resolve, connect, TLS, headers and body. Default 5000 ms. */
  deadlineMs?: number;
  /** The Accept header. Default `application/json`. */
  accept?: string;
  /** Refuse anything but `application/json` / `application/<x>+json`. Default true. */
  expectJson?: boolean;
}

/** The only request headers a caller may add: validators for cache revalidation. */
export interface ConditionalHeaders {
  'if-none-match'?: string;
  'if-modified-since'?: string;
}

export interface SafeFetchInit extends FetchLimits {
  headers?: ConditionalHeaders;
  signal?: AbortSignal;
}

export interface SafeFetchOptions extends FetchLimits, TrustOptions {
  /** Name resolution; default the system resolver. Not used in proxy mode. */
  resolver?: Resolver;
  /**
   * DEVELOPMENT ONLY (CIMD-FETCH-7): allow loopback addresses (127.0.0.0/8, ::1). Nothing else that
   * is special-purpose is opened by it. Never set it in production.
   */
  allowLoopback?: boolean;
  /**
   * Egress proxy URL (HTTPS_PROXY style). The proxy then resolves names, so the connect-time address
   * check is the proxy's job (CIMD-FETCH-8); URL-level checks still run here.
   */
  proxy?: string;
  /**
   * A dispatcher to use instead of the checked Agent (tests, special setups). It is used as given:
   * the connect-time address check is then its job (see `createCheckedAgent`).
   */
  dispatcher?: Dispatcher;
  /** The User-Agent sent with every fetch. */
  userAgent?: string;
  /** Told about every failed fetch, for metrics and audit. Its own errors are swallowed. */
  onRefusal?: (error: SafeFetchError, url: string) => void;
}

export interface SafeResponse {
  /** 200, or 304 when the request was conditional. */
  status: 200 | 304;
  /** The URL fetched, normalised. */
  url: string;
  headers: Headers;
  /** The body, at most maxBytes long (empty for 304). */
  body: Uint8Array;
  /** The address the socket was connected to; undefined through a proxy or an injected dispatcher. */
  remoteAddress: string | undefined;
  /**
   * The certificate the server presented in the handshake (issue #14); undefined through a proxy or
   * an injected dispatcher, which dial sockets this fetcher never sees.
   */
  tls?: PeerCertificate | undefined;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON; throws SyntaxError if it is not. */
  json(): unknown;
}

export type SafeFetch = (url: string | URL, init?: SafeFetchInit) => Promise<SafeResponse>;

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/** Drops a body we will not read; undici reports that as an abort, which nobody needs to hear. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Who answered: the dialled address and the server's certificate, from the socket at connect. */
interface Peer {
  remoteAddress: string | undefined;
  certificate: PeerCertificate | undefined;
}

function makeResponse(
  status: 200 | 304,
  url: string,
  headers: Headers,
  body: Uint8Array,
  peer: Peer,
): SafeResponse {
  const text = (): string => new TextDecoder('utf-8').decode(body);
  return {
    status,
    url,
    headers,
    body,
    remoteAddress: peer.remoteAddress,
    tls: peer.certificate,
    text,
    json: () => JSON.parse(text()) as unknown,
  };
}

async function readCapped(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  url: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    // CIMD-FETCH-10: counted while streaming, so a body without Content-Length (or one that lies) is
    // cut as soon as it passes the cap; hitting the cap before the body ends is an error, not a
    // truncated success. A body of exactly maxBytes is accepted.
    if (total > maxBytes) {
      throw new SafeFetchError('body_too_large', `body exceeds ${maxBytes} bytes`, { url, limit: maxBytes });
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Makes the fetcher. Options set the policy (resolver, loopback switch, CAs, proxy) and the default
 * limits; each call may override the limits.
 */
export function createSafeFetch(options: SafeFetchOptions = {}): SafeFetch {
  const policy: AddressPolicy = { allowLoopback: options.allowLoopback === true };
  const resolver = options.resolver ?? systemResolver;
  const ca = trustAnchors(options);
  // Once per fetcher: parsing the CA list per connection was the flood's largest cost (issue #8).
  // Each fetch still gets its own Agent (0004 §1), whose connector checks the address on every
  // connect; the connector (with its TLS session cache) is shared, one per connect timeout.
  const secureContext = trustContext(ca);
  const connectors = new Map<number, buildConnector.connector>();
  const connectorFor = (timeoutMs: number): buildConnector.connector => {
    let connector = connectors.get(timeoutMs);
    if (connector === undefined) {
      connector = createCheckedConnector({ resolver, policy, secureContext, timeoutMs });
      // Deadlines come from code, not from strangers; the bound is a backstop all the same.
      if (connectors.size < 16) connectors.set(timeoutMs, connector);
    }
    return connector;
  };
  // Per fetcher, like the connectors whose session cache it follows: who authenticated each session.
  const certificates = createPeerCertificates();
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const defaults = {
    maxBytes: positiveInteger(options.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes'),
    deadlineMs: positiveInteger(options.deadlineMs ?? DEFAULT_DEADLINE_MS, 'deadlineMs'),
    accept: options.accept ?? DEFAULT_ACCEPT,
    expectJson: options.expectJson ?? true,
  };

  async function fetchOnce(input: string | URL, init: SafeFetchInit): Promise<SafeResponse> {
    const maxBytes = positiveInteger(init.maxBytes ?? defaults.maxBytes, 'maxBytes');
    const deadlineMs = positiveInteger(init.deadlineMs ?? defaults.deadlineMs, 'deadlineMs');
    const expectJson = init.expectJson ?? defaults.expectJson;
    const target = parseTargetUrl(input, policy);
    const url = target.url.href;

    // One deadline over everything (AT-15 slow-loris, CIMD-FETCH-11): resolution, connect, TLS,
    // headers and the whole body share this one timer, so a server that trickles a byte at a time
    // is cut at the deadline no matter how each single read times out.
    // The error is made when the deadline passes, not up front: an Error captures its stack when it
    // is built, and nearly every fetch finishes in time.
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new SafeFetchError('deadline_exceeded', `no complete response within ${deadlineMs} ms`, { url }),
        ),
      deadlineMs,
    );
    const callerSignal = init.signal;
    const onCallerAbort = (): void =>
      controller.abort(
        new SafeFetchError('aborted', 'aborted by the caller', { url, cause: callerSignal?.reason }),
      );
    if (callerSignal?.aborted) onCallerAbort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

    const peer: Peer = { remoteAddress: undefined, certificate: undefined };
    let connected = false;
    const onConnect = (socket: Socket): void => {
      connected = true;
      peer.remoteAddress = socket.remoteAddress;
      // Read once, at connect: the socket is gone by the time a caller looks at the response.
      peer.certificate = certificates.of(socket);
    };
    const timeoutMs = deadlineMs; // undici's own timers as a backstop; the deadline above governs
    const owned =
      options.dispatcher === undefined
        ? options.proxy === undefined
          ? createCheckedAgent({
              resolver,
              policy,
              ca,
              connector: connectorFor(timeoutMs),
              timeoutMs,
              onConnect,
            })
          : createProxyDispatcher({ proxy: options.proxy, ca, secureContext, timeoutMs })
        : undefined;
    const dispatcher: Dispatcher = owned ?? (options.dispatcher as Dispatcher);

    // No cookies, no Authorization, nothing from the caller but validators: the fetch carries no
    // ambient authority. `Accept-Encoding: identity` asks for an uncompressed body (see
    // assertIdentityCoding for why an encoded one is refused rather than decoded).
    const headers: Record<string, string> = {
      'user-agent': userAgent,
      accept: init.accept ?? defaults.accept,
      'accept-encoding': 'identity',
    };
    const ifNoneMatch = init.headers?.['if-none-match'];
    const ifModifiedSince = init.headers?.['if-modified-since'];
    if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
    if (ifModifiedSince !== undefined) headers['if-modified-since'] = ifModifiedSince;
    const conditional = ifNoneMatch !== undefined || ifModifiedSince !== undefined;

    let response: Dispatcher.ResponseData | undefined;
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      response = await dispatcher.request({
        origin: target.url.origin,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'GET',
        headers,
        signal: controller.signal,
      });
      const status = response.statusCode;
      const raw = response.headers;

      // CIMD-FETCH-3: only 200 is success. 304 is let through for a conditional request only, so the
      // cache layer can revalidate (ETag / Last-Modified); a 304 nobody asked for is an error like any
      // other status. See docs/decisions/0004-safe-fetch.md.
      if (status === 304 && conditional) {
        discard(response.body);
        return makeResponse(304, url, toHeaders(raw), new Uint8Array(0), peer);
      }
      if (status !== 200) {
        const location = single(raw.location);
        // CIMD-FETCH-4: redirects are never followed; the refusal names where it would have gone.
        if (status >= 300 && status < 400 && status !== 304) {
          throw new SafeFetchError(
            'redirect_refused',
            `HTTP ${status} redirect to ${location ?? '(no Location)'} not followed`,
            { url, status, ...(location === undefined ? {} : { location }) },
          );
        }
        throw new SafeFetchError('status_not_200', `HTTP ${status}, only 200 is accepted`, { url, status });
      }

      assertIdentityCoding(single(raw['content-encoding']), single(raw['transfer-encoding']), url);

      const contentType = single(raw['content-type']);
      if (expectJson && !isJsonMediaType(contentType)) {
        throw new SafeFetchError('content_type', `not JSON: ${contentType ?? '(no Content-Type)'}`, {
          url,
          value: contentType ?? '',
        });
      }

      // CIMD-FETCH-10: a declared length over the cap is refused before a byte of body is read.
      const contentLength = single(raw['content-length']);
      if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) > maxBytes) {
        const message = `Content-Length ${contentLength} exceeds ${maxBytes} bytes`;
        throw new SafeFetchError('body_too_large', message, { url, limit: maxBytes });
      }

      const body = await readCapped(response.body, maxBytes, url);
      return makeResponse(200, url, toHeaders(raw), body, peer);
    } catch (error) {
      // An abort (deadline or caller) surfaces from undici as its own error type; the reason we
      // aborted with is the truth.
      // A refusal after connect names the peer that answered (the fetch log keeps it, issue #14).
      if (controller.signal.aborted && controller.signal.reason instanceof SafeFetchError) {
        throw controller.signal.reason.withPeer(peer);
      }
      const known = findSafeFetchError(error);
      if (known !== undefined) throw known.withUrl(url).withPeer(peer);
      throw classifyNetworkError(error, url, connected).withPeer(peer);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      if (response !== undefined) discard(response.body);
      // A dispatcher made for this fetch dies with it: no idle socket outlives the fetch, so a pinned
      // address is never reused after its DNS answer could have changed.
      if (owned !== undefined) await owned.destroy().catch(() => undefined);
    }
  }

  return async function safeFetch(input, init = {}) {
    try {
      return await fetchOnce(input, init);
    } catch (error) {
      // Anything but a SafeFetchError here is a programming error (a bad maxBytes, say): no refusal.
      if (error instanceof SafeFetchError) {
        try {
          options.onRefusal?.(error, error.url ?? String(input));
        } catch {
          // Metrics and audit must not change the outcome of a fetch.
        }
      }
      throw error;
    }
  };
}
