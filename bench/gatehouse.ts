import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { hashPassword, prepareStaticClient } from '@gatehouse-oauth/server';
import { startGatehouse } from '../packages/cli/src/commands/serve.ts';
import { loadConfig } from '../packages/cli/src/config.ts';
import { DOCUMENT_HOSTS, PASSWORD, RESOURCE, SCOPE, STATIC_CLIENT, USERNAME } from './common.ts';
import { serveChild } from './lib/child.ts';
import { benchGovernanceRules } from './scenarios/governance.ts';

/**
 * Gatehouse as the bench runs it: `gatehouse serve` itself (startGatehouse, the function behind the
 * command), in a child process of its own, plain http on 127.0.0.1, with the store the run asks
 * for (`sqlite`, the default of `serve`, in a fresh data directory; or `memory`). Outbound fetches
 * reach the bench's document host through the development switches a developer would use
 * (`fetch.dev_loopback`, `fetch.ca_file`, `fetch.dev_hosts`; docs/configuration.md).
 *
 * Before it says ready, it adds the bench user and the pre-registered client to its store.
 */
export function gatehouseConfig(
  store: 'sqlite' | 'memory',
  dataDir: string,
  caFile?: string,
  governed?: { cimdClientId: string },
) {
  return {
    host: '127.0.0.1',
    port: 0,
    data: join(dataDir, 'data'),
    store,
    // One log line per request at `info`; the peer logs nothing per request, so neither does this.
    log_level: 'warn',
    // Every connection of the driver comes from 127.0.0.1, as every client does behind a proxy, and
    // the stampede holds 1,000 at once: past the default cap of 256 per source they would be closed
    // on arrival (docs/configuration.md, `http.max_connections_per_source`).
    http: { max_connections_per_source: 2000 },
    resources: [{ uri: RESOURCE, scopes: [SCOPE], default_scopes: [SCOPE] }],
    default_resource: RESOURCE,
    // Both servers ask for DPoP nonces unless the run says otherwise (BENCH_DPOP_NONCE=0).
    ...(process.env.BENCH_DPOP_NONCE === '0' ? { dpop: { nonce: 'off' } } : {}),
    // gatehouse-approval (scenarios/governance.ts): approval mode, 1,000 rules.
    ...(governed === undefined
      ? {}
      : { governance: { mode: 'approval', rules: benchGovernanceRules(governed.cimdClientId) } }),
    fetch: {
      dev_loopback: true,
      ...(caFile === undefined ? {} : { ca_file: caFile }),
      dev_hosts: Object.fromEntries(DOCUMENT_HOSTS.map((name) => [name, '127.0.0.1'])),
    },
  };
}

if (import.meta.main) {
  const store = process.env.BENCH_STORE === 'memory' ? 'memory' : 'sqlite';
  const config = loadConfig({
    flags: gatehouseConfig(
      store,
      process.env.BENCH_DATA_DIR!,
      process.env.BENCH_TRUST === 'ca_file' ? process.env.BENCH_CA_FILE! : undefined,
      process.env.BENCH_GOVERNANCE === 'approval'
        ? { cimdClientId: process.env.BENCH_CIMD_CLIENT_ID! }
        : undefined,
    ),
  });
  const running = await startGatehouse(config);
  await running.store.users.create({
    id: randomUUID(),
    username: USERNAME,
    passwordHash: await hashPassword(PASSWORD),
    createdAt: Date.now(),
  });
  const { record } = prepareStaticClient(
    {
      client_id: STATIC_CLIENT.clientId,
      client_secret: STATIC_CLIENT.secret,
      client_name: 'Bench static client',
      redirect_uris: [STATIC_CLIENT.redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
    },
    Date.now(),
  );
  await running.store.clients.put(record);
  const stop = () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  serveChild({ port: running.port, issuer: running.issuer, store });
}
