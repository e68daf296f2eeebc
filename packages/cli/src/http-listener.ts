import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';

export interface Listener {
  server: ServerType;
  port: number;
  close(): Promise<void>;
}

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
}): Promise<Listener> {
  return new Promise((resolvePromise, reject) => {
    const tls = options.tls;
    const server = serve(
      {
        // @hono/node-server passes its bindings as the second argument: `incoming` is Node's request.
        fetch: (
          request: Request,
          env: { incoming?: { socket?: { remoteAddress?: string | undefined } } },
        ) => {
          const remoteAddress = env.incoming?.socket?.remoteAddress;
          return options.fetch(request, remoteAddress === undefined ? {} : { remoteAddress });
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
        resolvePromise({
          server,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              // Idle keep-alive sockets would hold close() open; they carry no request.
              (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
