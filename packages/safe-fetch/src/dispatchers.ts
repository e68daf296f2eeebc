/**
 * The undici dispatchers the fetcher dials with: a direct Agent whose connector resolves and checks
 * addresses at connect time, or a ProxyAgent for an egress proxy (CIMD-FETCH-8).
 */
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { Agent, buildConnector, ProxyAgent } from 'undici';
import { type AddressPolicy, createCheckedLookup } from './address-check.ts';
import type { Resolver } from './resolver.ts';

export interface TrustOptions {
  /** Extra trust anchors, PEM. */
  ca?: string | readonly string[];
  /** `append` (default) adds `ca` to Node's default CA list; `replace` trusts only `ca`. */
  caMode?: 'append' | 'replace';
}

/** The CA list to hand to TLS, or undefined to keep Node's defaults untouched. */
export function trustAnchors(trust: TrustOptions): string[] | undefined {
  if (trust.ca === undefined) {
    if (trust.caMode === 'replace') throw new TypeError('caMode "replace" needs a ca list');
    return undefined;
  }
  const extra = typeof trust.ca === 'string' ? [trust.ca] : [...trust.ca];
  if (trust.caMode === 'replace') return extra;
  // getCACertificates (Node >= 22.15) includes --use-system-ca / NODE_EXTRA_CA_CERTS; older Node
  // only has the bundled list.
  const defaults =
    typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : tls.rootCertificates;
  return [...defaults, ...extra];
}

export interface CheckedAgentOptions {
  resolver: Resolver;
  policy: AddressPolicy;
  /** From `trustAnchors`; undefined keeps Node's defaults. */
  ca: string[] | undefined;
  /** Connect timeout for the socket; the fetcher's overall deadline still governs. */
  timeoutMs: number;
  /** Told about each socket once TLS is up, e.g. to record the address actually dialled. */
  onConnect?: (socket: Socket) => void;
}

/**
 * An Agent whose every new socket resolves through `createCheckedLookup`: the address is checked and
 * pinned in the same step (CIMD-FETCH-14). HTTP/1.1 only, no TLS session reuse across names.
 */
export function createCheckedAgent(options: CheckedAgentOptions): Agent {
  const base = buildConnector({
    lookup: createCheckedLookup(options.resolver, options.policy),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    allowH2: false,
    timeout: options.timeoutMs,
  });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    base(connectOptions, (error, socket) => {
      if (error === null) {
        options.onConnect?.(socket);
        callback(null, socket);
      } else {
        callback(error, null);
      }
    });
  };
  return new Agent({
    connect,
    allowH2: false,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
}

export interface ProxyDispatcherOptions {
  /** The egress proxy, `http://proxy:3128` or `https://...` (HTTPS_PROXY style). */
  proxy: string;
  ca: string[] | undefined;
  timeoutMs: number;
}

/**
 * CIMD-FETCH-8: in proxy mode undici tunnels with CONNECT host:port and the PROXY resolves the name,
 * so the connect-time address check cannot run here; it belongs to the proxy's egress policy. The
 * URL-level checks (https, no userinfo, IP literals) still run before the request is sent.
 */
export function createProxyDispatcher(options: ProxyDispatcherOptions): ProxyAgent {
  const tls = options.ca === undefined ? {} : { ca: options.ca };
  return new ProxyAgent({
    uri: options.proxy,
    requestTls: { ...tls, timeout: options.timeoutMs },
    proxyTls: { ...tls, timeout: options.timeoutMs },
    allowH2: false,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
}
