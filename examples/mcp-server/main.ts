/**
 * Starts the example MCP server: `npm run example:mcp-server [-- options]`.
 *
 *   --issuer <url>     Gatehouse's issuer             (MCP_ISSUER,   default http://localhost:8080)
 *   --port <n>         listen port                    (MCP_PORT,     default 3000)
 *   --host <address>   listen address                 (MCP_HOST,     default 127.0.0.1)
 *   --resource <url>   this server's resource URL     (MCP_RESOURCE, default http://localhost:<port>/mcp)
 *   --tls-cert <file> --tls-key <file>   serve https  (MCP_TLS_CERT, MCP_TLS_KEY)
 *
 * Gatehouse must know the resource: start it with `npm start -- --config examples/mcp-server/gatehouse.json`
 * (the MCP profile and this resource with its scopes). See examples/mcp-server/README.md.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createMcpExample } from './mcp-server.ts';

const { values } = parseArgs({
  options: {
    issuer: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    resource: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
  strict: true,
});
const env = process.env;
const issuer = (values.issuer ?? env.MCP_ISSUER ?? 'http://localhost:8080').replace(/\/$/, '');
const port = Number(values.port ?? env.MCP_PORT ?? 3000);
const host = values.host ?? env.MCP_HOST ?? '127.0.0.1';
const cert = values['tls-cert'] ?? env.MCP_TLS_CERT;
const key = values['tls-key'] ?? env.MCP_TLS_KEY;
if ((cert === undefined) !== (key === undefined)) {
  process.stderr.write('--tls-cert and --tls-key go together\n');
  process.exit(2);
}
const scheme = cert === undefined ? 'http' : 'https';
const resource = values.resource ?? env.MCP_RESOURCE ?? `${scheme}://localhost:${port}/mcp`;

const { app, resourceServer } = createMcpExample({
  issuer,
  resource,
  allowedHosts: [new URL(resource).hostname, 'localhost', '127.0.0.1'],
});
const server: Server =
  cert === undefined || key === undefined
    ? createHttpServer(app)
    : createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, app);
server.listen(port, host, () => {
  const bound = (server.address() as AddressInfo).port;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say('');
  say(`Example MCP server: ${resource}${bound === port ? '' : ` (listening on port ${bound})`}`);
  say(`  protected-resource metadata: ${resourceServer.metadataUrl}`);
  say(`  authorization server:        ${issuer}`);
  say('  tools: whoami, list_notes (scope mcp:tools); add_note (also notes:write, asked for on first use)');
  say(`  Claude Code: claude mcp add --transport http gatehouse-example ${resource}`);
  say(`  mcp-remote:  npx mcp-remote ${resource}`);
  say('  Stop with Ctrl-C.');
  say('');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
