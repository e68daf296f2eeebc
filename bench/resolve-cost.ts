import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGatehouse } from '../packages/cli/src/commands/serve.ts';
import { loadConfig } from '../packages/cli/src/config.ts';
import { contextOf } from '../packages/server/test/support/server-internals.ts';
import { round } from './driver.ts';
import { gatehouseConfig } from './gatehouse.ts';
import { serveChild } from './lib/child.ts';
import { createPeer } from './peer/oidc-provider.ts';

/**
 * CIMD scenario (3): what resolving a client_id costs once its document is cached, on the server's
 * core, without HTTP around it: Gatehouse's client resolver (the store is asked first, then the
 * document cache) on SQLite and in memory, and oidc-provider's `Client.find` (its cache, then a
 * client model built and validated from the cached metadata on every call).
 */
export interface ResolveCost {
  target: string;
  microsecondsPerResolve: number;
  resolvesPerSecond: number;
}

async function time(iterations: number, resolve: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < 500; index++) await resolve();
  const started = performance.now();
  for (let index = 0; index < iterations; index++) await resolve();
  return ((performance.now() - started) * 1000) / iterations;
}

async function measure(clientId: string, iterations: number): Promise<ResolveCost[]> {
  const caFile = process.env.BENCH_CA_FILE!;
  const results: ResolveCost[] = [];
  for (const store of ['sqlite', 'memory'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-resolve-'));
    const running = await startGatehouse(
      loadConfig({
        flags: gatehouseConfig(store, dir, process.env.BENCH_TRUST === 'ca_file' ? caFile : undefined),
      }),
    );
    try {
      const clients = contextOf(running.server).clients;
      if ((await clients.resolve(clientId)) === undefined)
        throw new Error('gatehouse: client did not resolve');
      const micros = await time(iterations, () => clients.resolve(clientId));
      results.push({
        target: `gatehouse-${store}`,
        microsecondsPerResolve: round(micros, 2),
        resolvesPerSecond: round(1e6 / micros),
      });
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const provider = await createPeer('http://localhost:1', readFileSync(caFile, 'utf8'));
  if ((await provider.Client.find(clientId)) === undefined) throw new Error('peer: client did not resolve');
  const micros = await time(iterations, () => provider.Client.find(clientId));
  results.push({
    target: 'oidc-provider',
    microsecondsPerResolve: round(micros, 2),
    resolvesPerSecond: round(1e6 / micros),
  });
  return results;
}

if (import.meta.main) {
  serveChild({}, async (message) => {
    if (message.type === 'measure') return measure(String(message.clientId), Number(message.iterations));
    return undefined;
  });
}
