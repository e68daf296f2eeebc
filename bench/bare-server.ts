import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveChild } from './lib/child.ts';

/**
 * The ceiling: a bare `node:http` server that reads a form body and answers a token-response-sized
 * JSON document, with nothing else. No framework, no store, no crypto: what one core can do with
 * HTTP alone, driven exactly like the authorization servers.
 */
const answer = JSON.stringify({
  access_token: 'x'.repeat(560),
  token_type: 'Bearer',
  expires_in: 300,
  refresh_token: 'y'.repeat(43),
  scope: 'mcp:tools',
});

if (import.meta.main) {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.once('SIGTERM', () => process.exit(0));
    serveChild({ port: (server.address() as AddressInfo).port });
  });
}
