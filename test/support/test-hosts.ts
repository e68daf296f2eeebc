import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './test-pki.ts';

/**
 * Made-up `.test` hosts (RFC 2606) served over real TLS on 127.0.0.1 with a certificate from the
 * test CA: where client metadata documents, JWKS and protected-resource metadata live in tests.
 * Every request is counted per path, so tests can prove how many fetches the server made.
 */
export type Route = (request: IncomingMessage, response: ServerResponse) => void;

export interface TestHost {
  port: number;
  /** `https://<name>:<port>` */
  origin(name: string): string;
  route(path: string, handler: Route): void;
  /** Serves JSON with the given headers (Cache-Control etc.). */
  json(path: string, body: unknown, headers?: Record<string, string>): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startTestHost(ca: TestCa, names: readonly string[]): Promise<TestHost> {
  const { cert, key } = await ca.issue(names);
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ cert, key }, (request, response) => {
    const path = new URL(request.url ?? '/', 'https://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route === undefined) return void response.writeHead(404).end();
    route(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: (name) => `https://${name}:${port}`,
    route: (path, handler) => void routes.set(path, handler),
    json(path, body, headers = {}) {
      routes.set(path, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      });
    },
    hits: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A socket lookup for clients in tests: `.test` names go to 127.0.0.1, anything else is refused,
 * so a test can never dial a real address by mistake.
 */
export function testLookup(
  hostname: string,
  options: { all?: boolean },
  callback: (
    error: Error | null,
    address: string | { address: string; family: number }[],
    family?: number,
  ) => void,
): void {
  if (hostname !== 'localhost' && !hostname.endsWith('.test')) {
    callback(new Error(`tests only dial loopback; refused to resolve ${hostname}`), '');
    return;
  }
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}
