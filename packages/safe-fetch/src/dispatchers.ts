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

/**
 * The TLS trust of a fetcher as one SecureContext, built once (per fetcher, not per connection).
 * With an extra CA, `ca` holds Node's ~150 default roots plus it, and a context built from that
 * list parses every one of them: made per connection (as `tls.connect` does when handed `ca`), that
 * was 30 % of the CPU under a CIMD flood (issue #8, docs/benchmarks.md). Undefined `ca` keeps
 * Node's default trust (which `tls.connect` already shares between connections).
 */
export function trustContext(ca: string[] | undefined): tls.SecureContext {
  // Without `ca` this is Node's default trust (bundled roots, NODE_EXTRA_CA_CERTS, --use-system-ca),
  // the same a bare tls.connect would build, but built once rather than per connection.
  return tls.createSecureContext(ca === undefined ? {} : { ca });
}

export interface CheckedConnectorOptions {
  resolver: Resolver;
  policy: AddressPolicy;
  /** From `trustContext`. */
  secureContext: tls.SecureContext;
  /** Connect timeout for the socket; the fetcher's overall deadline still governs. */
  timeoutMs: number;
}

/**
 * The connector a fetcher's Agents dial with: every connection resolves through
 * `createCheckedLookup` (the address is checked and pinned in the same step, CIMD-FETCH-14), over
 * one shared trust. Shared by a fetcher's Agents, it also keeps undici's TLS session cache (keyed by
 * server name, at most 100 sessions), so a later fetch from the same host may resume a session
 * instead of a full handshake; the address check still runs on every connect (decision 0020).
 */
export function createCheckedConnector(options: CheckedConnectorOptions): buildConnector.connector {
  return buildConnector({
    lookup: createCheckedLookup(options.resolver, options.policy),
    secureContext: options.secureContext,
    allowH2: false,
    timeout: options.timeoutMs,
  });
}

export interface CheckedAgentOptions {
  resolver: Resolver;
  policy: AddressPolicy;
  /** From `trustAnchors`; undefined keeps Node's defaults. Ignored when `secureContext` is given. */
  ca: string[] | undefined;
  /** From `trustContext(ca)`, built once and shared by every Agent of a fetcher. */
  secureContext?: tls.SecureContext | undefined;
  /** From `createCheckedConnector`, shared by every Agent of a fetcher; built here when absent. */
  connector?: buildConnector.connector | undefined;
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
  // The lookup (the address check) runs on every connection whoever built the connector.
  const base =
    options.connector ??
    createCheckedConnector({
      resolver: options.resolver,
      policy: options.policy,
      secureContext: options.secureContext ?? trustContext(options.ca),
      timeoutMs: options.timeoutMs,
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
    // One request per fetch: `connections: 1` makes the Agent's per-origin dispatcher a Client
    // rather than a Pool, whose queue preallocates 2,048 slots (16 KB) for each fetch. Under a flood
    // of unknown client_ids every fetch lives long enough to reach the old generation.
    connections: 1,
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
  /** From `trustContext(ca)`; used instead of `ca` when given. */
  secureContext?: tls.SecureContext | undefined;
  timeoutMs: number;
}

/**
 * CIMD-FETCH-8: in proxy mode undici tunnels with CONNECT host:port and the PROXY resolves the name,
 * so the connect-time address check cannot run here; it belongs to the proxy's egress policy. The
 * URL-level checks (https, no userinfo, IP literals) still run before the request is sent.
 */
export function createProxyDispatcher(options: ProxyDispatcherOptions): ProxyAgent {
  const tls = { secureContext: options.secureContext ?? trustContext(options.ca) };
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
