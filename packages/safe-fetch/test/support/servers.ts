/**
 * Loopback servers for the fetcher's tests: HTTPS on 127.0.0.1 (port 0) that counts TCP connections,
 * and a minimal CONNECT proxy. Tests only ever dial 127.0.0.1 / ::1.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { Dispatcher as DispatcherBase } from 'undici';
import type { IssuedCertificate } from '../../../../test/support/test-pki.ts';
import type { ResolvedAddress, Resolver } from '../../src/index.ts';

export interface LoopbackHttps {
  port: number;
  /** TCP connections accepted so far (counted before TLS, so a refused fetch must leave it at 0). */
  connections(): number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startHttps(certificate: IssuedCertificate, handler: Handler): Promise<LoopbackHttps> {
  const server: Server = createHttpsServer({ cert: certificate.cert, key: certificate.key }, handler);
  let count = 0;
  server.on('connection', () => {
    count++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createHttpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface ConnectProxy {
  url: string;
  /** The CONNECT targets seen, e.g. `client.test:443`. */
  targets: string[];
  close(): Promise<void>;
}

/**
 * A CONNECT proxy that does its own name resolution, as a real egress proxy would: every name maps
 * to 127.0.0.1 (this proxy only ever dials loopback).
 */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    targets.push(target);
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface StubResolver {
  resolver: Resolver;
  /** Hostnames asked for, in order. */
  calls: string[];
}

/** A resolver from a fixed table; unknown names fail like NXDOMAIN. */
export function stubResolver(table: Record<string, readonly (string | ResolvedAddress)[]>): StubResolver {
  const calls: string[] = [];
  const resolver: Resolver = async (hostname) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((a) =>
      typeof a === 'string' ? { address: a, family: a.includes(':') ? (6 as const) : (4 as const) } : a,
    );
  };
  return { resolver, calls };
}

/** A dispatcher that records and fails every dispatch: proves a refusal happened before any I/O. */
export class SpyDispatcher extends DispatcherBase {
  dispatched = 0;
  override dispatch(_options: Dispatcher.DispatchOptions, _handler: Dispatcher.DispatchHandler): boolean {
    this.dispatched++;
    throw new Error('SpyDispatcher: no request may be dispatched in this test');
  }
}
