/**
 * What the transport knows about a request that the Request object does not carry: the peer's
 * address, for rate limits keyed by source (DCR-EP-3, DCR-MG-8). Passed explicitly from
 * `AuthorizationServer.fetch(request, info)`, never attached to the Request, so nothing a client
 * sends (an X-Forwarded-For header) can pose as it.
 */
export interface RequestInfo {
  remoteAddress?: string;
}
