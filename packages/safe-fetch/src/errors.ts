import type { PeerCertificate } from './peer-certificate.ts';

/**
 * The one error type of the hardened fetcher. Every refusal and every failure of an outbound fetch
 * (CIMD document, jwks_uri, logo, software statement keys) rejects with a `SafeFetchError` whose
 * `reason` is a stable code: the server maps it to metrics, audit events and the error page
 * (CIMD-FETCH-13) without parsing prose.
 */
export type SafeFetchReason =
  /** The URL does not parse. */
  | 'invalid_url'
  /** Any scheme but https: (http:, file:, data:, javascript:, ...). CIMD-FETCH-9. */
  | 'scheme_not_https'
  /** The URL carries a username or password. */
  | 'userinfo'
  /** The host is, or resolves to, an IANA special-purpose address. CIMD-FETCH-5, CIMD-FETCH-6. */
  | 'special_purpose_address'
  /** Name resolution failed, returned nothing, or returned something that is not an IP address. */
  | 'dns_failure'
  /** TCP connect failed (refused, unreachable, reset before TLS). */
  | 'connect_failed'
  /** TLS handshake or certificate verification failed. */
  | 'tls'
  /** The one deadline over connect, headers and body ran out. CIMD-FETCH-11, AT-15. */
  | 'deadline_exceeded'
  /** The caller's own AbortSignal fired. */
  | 'aborted'
  /** A 3xx response: redirects are never followed. CIMD-FETCH-4. */
  | 'redirect_refused'
  /** Any status but 200 (and 304 for a conditional request). CIMD-FETCH-3. */
  | 'status_not_200'
  /** JSON was expected and the media type is not application/json or application/<x>+json. CIMD-FETCH-12. */
  | 'content_type'
  /** The server applied a content or transfer coding we did not accept (decompression bombs). */
  | 'content_encoding'
  /** The body, or its declared Content-Length, is over the byte cap. CIMD-FETCH-10. */
  | 'body_too_large'
  /** The connection failed after it was established (reset, truncated body, protocol error). */
  | 'network_error';

export interface SafeFetchErrorDetails {
  /** The URL that was being fetched, as given or as normalised by the URL parser. */
  url?: string;
  /** HTTP status, for `redirect_refused` and `status_not_200`. */
  status?: number;
  /** The Location header that was not followed, for `redirect_refused`. */
  location?: string;
  /** The refused or dialled address, for `special_purpose_address` and connection failures. */
  address?: string;
  /** The special-purpose range that matched, e.g. `10.0.0.0/8 Private-Use (RFC 1918)`. */
  range?: string;
  /** The byte cap that applied, for `body_too_large`. */
  limit?: number;
  /** The refused media type or coding, for `content_type` and `content_encoding`. */
  value?: string;
  /** The address the socket was connected to, for a refusal after connect (not through a proxy). */
  remoteAddress?: string;
  /** The server's certificate, for a refusal after the TLS handshake (not through a proxy). */
  certificate?: PeerCertificate;
  /** The underlying error (DNS, socket, TLS, undici), for logs only. */
  cause?: unknown;
}

export class SafeFetchError extends Error {
  override readonly name = 'SafeFetchError';
  readonly reason: SafeFetchReason;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly location: string | undefined;
  readonly address: string | undefined;
  readonly range: string | undefined;
  readonly limit: number | undefined;
  readonly value: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly certificate: PeerCertificate | undefined;

  constructor(reason: SafeFetchReason, message: string, details: SafeFetchErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.url = details.url;
    this.status = details.status;
    this.location = details.location;
    this.address = details.address;
    this.range = details.range;
    this.limit = details.limit;
    this.value = details.value;
    this.remoteAddress = details.remoteAddress;
    this.certificate = details.certificate;
  }

  /** The same error with the URL filled in (errors raised deep in a connect callback lack it). */
  withUrl(url: string): SafeFetchError {
    if (this.url !== undefined) return this;
    const copy = new SafeFetchError(this.reason, this.message, { ...this.details(), url });
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }

  /**
   * The same error with the peer it was talking to filled in: a refusal after connect (a 404, a
   * redirect, a cap) still says which address answered and which certificate it showed.
   */
  withPeer(peer: {
    remoteAddress?: string | undefined;
    certificate?: PeerCertificate | undefined;
  }): SafeFetchError {
    const remoteAddress = this.remoteAddress ?? peer.remoteAddress;
    const certificate = this.certificate ?? peer.certificate;
    if (remoteAddress === this.remoteAddress && certificate === this.certificate) return this;
    const details = this.details();
    if (remoteAddress !== undefined) details.remoteAddress = remoteAddress;
    if (certificate !== undefined) details.certificate = certificate;
    const copy = new SafeFetchError(this.reason, this.message, details);
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }

  private details(): SafeFetchErrorDetails {
    const details: SafeFetchErrorDetails = {};
    if (this.url !== undefined) details.url = this.url;
    if (this.status !== undefined) details.status = this.status;
    if (this.location !== undefined) details.location = this.location;
    if (this.address !== undefined) details.address = this.address;
    if (this.range !== undefined) details.range = this.range;
    if (this.limit !== undefined) details.limit = this.limit;
    if (this.value !== undefined) details.value = this.value;
    if (this.remoteAddress !== undefined) details.remoteAddress = this.remoteAddress;
    if (this.certificate !== undefined) details.certificate = this.certificate;
    if (this.cause !== undefined) details.cause = this.cause;
    return details;
  }
}

export function isSafeFetchError(value: unknown): value is SafeFetchError {
  return value instanceof SafeFetchError;
}
