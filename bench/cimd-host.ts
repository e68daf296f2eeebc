import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serveChild } from './lib/child.ts';

/**
 * Where the bench's Client ID Metadata Documents live: an https server on 127.0.0.1 with a
 * certificate from the bench's own CA for `*.bench.test` and `*.flood.test`. Both authorization
 * servers reach it the same way: their outbound fetch trusts that CA and resolves those names to
 * 127.0.0.1 (Gatehouse through its development switches, the peer through its `fetch` hook).
 *
 * Paths:
 * - `/c/<anything>`: a valid public-client document whose client_id is the URL it was fetched from;
 * - `/slow/<anything>`: the same after 50 ms, so a stampede of requests overlaps one fetch;
 * - anything else (the flood's client_ids): 404.
 *
 * Every request is counted by its first path segment; the orchestrator asks for the counts.
 */
export function clientDocument(clientId: string, hostname: string): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Bench client',
    redirect_uris: [`https://${hostname}/callback`],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

if (import.meta.main) {
  const counts: Record<string, number> = {};
  const server = createServer(
    {
      cert: readFileSync(process.env.BENCH_CERT_FILE!, 'utf8'),
      key: readFileSync(process.env.BENCH_KEY_FILE!, 'utf8'),
    },
    (request, response) => {
      const path = (request.url ?? '/').split('?')[0]!;
      const kind = path.split('/')[1] ?? '';
      counts[kind] = (counts[kind] ?? 0) + 1;
      const host = request.headers.host ?? '';
      if (kind !== 'c' && kind !== 'slow') return void response.writeHead(404).end();
      const body = JSON.stringify(clientDocument(`https://${host}${path}`, host.split(':')[0]!));
      const answer = () =>
        response
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' })
          .end(body);
      if (kind === 'slow') setTimeout(answer, 50);
      else answer();
    },
  );
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    serveChild({ port: (server.address() as AddressInfo).port }, (message) => {
      if (message.type === 'counts') return { ...counts };
      return undefined;
    });
  });
}
