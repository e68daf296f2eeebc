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
        // Keep Node's own Request/Response: the library and the tests rely on standard classes.
        overrideGlobalObjects: false,
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
