import { type Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { sourceKey } from '@gatehouse-oauth/server';
import { type Http2Bindings, type HttpBindings, type ServerType, serve } from '@hono/node-server';
import { tuneGarbageCollectorForServing } from './garbage-collector-tuning.ts';

export interface Listener {
  server: ServerType;
  port: number;
  /**
   * Stops accepting, answers what is in flight with `Connection: close`, and resolves when every
   * connection has ended or `drainMs` has passed, whichever is first; then every connection left
   * (a stalled upload, a client that never reads) is cut (issue #18 finding 8).
   */
  close(drainMs?: number): Promise<void>;
}

/**
 * Limits on what one connection may hold (issue #18 finding 8): Node's own timeouts, and a cap on
 * the connections one source (an IPv4 address or an IPv6 /64) may keep open at once.
 */
export interface ConnectionLimits {
  /** The request line and headers must arrive within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this: a slow upload is cut. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections one source may hold open; more are closed at once. */
  maxConnectionsPerSource: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerSource: 256,
};

/**
 * Serves a web-standard handler on Node http, or https when given a certificate and key.
 * The handler is looked up per request, so it can be built after the port is known.
 */
export function listen(options: {
  /** `info.remoteAddress` is the TCP peer, for per-source rate limits (never taken from headers). */
  fetch: (request: Request, info: { remoteAddress?: string }) => Promise<Response>;
  host: string;
  port: number;
  /** PEM contents of the certificate chain and private key. */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  limits?: ConnectionLimits;
}): Promise<Listener> {
  const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
  tuneGarbageCollectorForServing();
  return new Promise((resolvePromise, reject) => {
    const tls = options.tls;
    const server = serve(
      {
        // @hono/node-server passes its bindings as the second argument: `incoming` is Node's request.
        fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
          const remoteAddress = env.incoming.socket?.remoteAddress;
          try {
            return await options.fetch(request, remoteAddress === undefined ? {} : { remoteAddress });
          } finally {
            // Answered while the server drains: this answer closes its connection (`Connection:
            // close`). Asked here, as the answer is about to be written, so no list of the
            // responses in flight is kept (decision 0048: such a list kept them from dying young).
            if (draining.has(server as Server) && env.outgoing instanceof ServerResponse)
              env.outgoing.shouldKeepAlive = false;
          }
        },
        hostname: options.host,
        port: options.port,
        // Issue #8 (docs/decisions/0021-http-adapter-fast-paths.md): the adapter's lightweight
        // Response as the process's global `Response`. It is a `Response` (subclass prototype,
        // `instanceof` holds both ways) that keeps its string body as it is and materialises an
        // undici Response only when something reads it as a stream; the adapter writes it with one
        // `end(body)`. With undici's own class every answer built a byte stream and was read back
        // through it: ~10 % of a PAR's CPU. The library itself still only needs standard classes.
        overrideGlobalObjects: true,
        ...(tls === undefined
          ? {}
          : {
              createServer: createHttpsServer,
              serverOptions: { cert: tls.cert, key: tls.key },
            }),
      },
      (info: AddressInfo) => {
        resolvePromise({ server, port: info.port, close: (drainMs) => drain(server as Server, drainMs) });
      },
    );
    applyLimits(server as Server, limits);
    server.once('error', reject);
  });
}

/** Node's timeouts, and the per-source connection cap, on a server before it accepts. */
function applyLimits(server: Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = sourceKey(socket.remoteAddress ?? 'unknown');
    const count = (open.get(key) ?? 0) + 1;
    if (count > limits.maxConnectionsPerSource) {
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

/** Servers that are draining: what they answer from now on closes its connection (see `listen`). */
const draining = new WeakSet<Server>();

function drain(server: Server, drainMs = 0): Promise<void> {
  draining.add(server);
  return new Promise<void>((done) => {
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      done();
    });
    // Idle keep-alive sockets would hold close() open; they carry no request.
    server.closeIdleConnections();
  });
}
