import { FLOOD_HOSTS, RESOURCE, SCOPE } from '../common.ts';
import { type Connection, type LoadOptions, round, runLoad, type Step, summarise } from '../driver.ts';
import type { BenchChild } from '../lib/child.ts';
import { type BenchClient, connectTo, pkce, pushAuthorizationRequest, type Target } from '../oauth.ts';

/**
 * The CIMD scenarios of issue #8:
 * (1) stampede: 1,000 concurrent requests for one client_id nobody has seen → how many fetches;
 * (2) flood: distinct unknown client_ids on other hosts alongside steady legitimate traffic →
 *     legitimate throughput against the same traffic without the flood, the server's peak RSS,
 *     and the outbound fetches the server actually made;
 * (3) is bench/resolve-cost.ts.
 */

type Counts = Record<string, number>;

async function openConnections(target: Target, count: number): Promise<Connection[]> {
  const connections: Connection[] = [];
  // Opened and used once in batches, so the stampede meets warm connections, not the accept queue.
  for (let batch = 0; batch < count; batch += 100) {
    const opened = Array.from({ length: Math.min(100, count - batch) }, () => connectTo(target));
    await Promise.all(opened.map((connection) => connection.send('GET', target.paths.metadata)));
    connections.push(...opened);
  }
  return connections;
}

export interface StampedeResult {
  target: string;
  requests: number;
  succeeded: number;
  statuses: Record<string, number>;
  /** Document fetches the server made for the one client_id. */
  fetches: number;
  wallMs: number;
}

export async function stampedeScenario(
  target: Target,
  documentHost: BenchChild,
  documentPort: number,
  requests: number,
): Promise<StampedeResult> {
  const connections = await openConnections(target, requests);
  try {
    // /slow/ documents answer after 50 ms, so every request arrives while the one fetch is in flight.
    const client: BenchClient = {
      clientId: `https://stampede.bench.test:${documentPort}/slow/${target.name}-${Date.now()}.json`,
      redirectUri: 'https://stampede.bench.test/callback',
    };
    const before = await documentHost.call<Counts>({ type: 'counts' });
    const { challenge } = pkce();
    const statuses: Record<string, number> = {};
    const started = performance.now();
    await Promise.all(
      connections.map(async (connection) => {
        let status = 'error';
        try {
          await pushAuthorizationRequest(connection, target, client, challenge);
          status = '201';
        } catch (error) {
          status = /HTTP (\d+)/.exec((error as Error).message)?.[1] ?? 'error';
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
    );
    const wallMs = performance.now() - started;
    const after = await documentHost.call<Counts>({ type: 'counts' });
    return {
      target: target.name,
      requests,
      succeeded: statuses['201'] ?? 0,
      statuses,
      fetches: (after.slow ?? 0) - (before.slow ?? 0),
      wallMs: round(wallMs, 1),
    };
  } finally {
    await Promise.all(connections.map((connection) => connection.close()));
  }
}

export interface FloodResult {
  target: string;
  legitConnections: number;
  floodConnections: number;
  /** Legitimate PAR/s with the same connections and no flood, measured just before. */
  baselineOpsPerSecond: number;
  /** Legitimate PAR/s while the flood ran. */
  legitOpsPerSecond: number;
  legitFraction: number;
  legitP50Ms: number;
  legitP99Ms: number;
  legitErrors: number;
  floodRequests: number;
  floodPerSecond: number;
  floodStatuses: Record<string, number>;
  /** Document fetches the server actually made for flood client_ids (the governor's caps). */
  fetches: number;
  floodMs: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  rssAfterMiB: number;
  /** True when the flood stopped at its time cap before sending every client_id. */
  capped: boolean;
}

export async function floodScenario(options: {
  target: Target;
  server: BenchChild;
  documentHost: BenchChild;
  documentPort: number;
  cimdClient: BenchClient;
  legitConnections: number;
  floodConnections: number;
  total: number;
  maxFloodMs: number;
  baseline: LoadOptions;
}): Promise<FloodResult> {
  const { target, cimdClient } = options;
  const legit = Array.from({ length: options.legitConnections }, () => connectTo(target));
  const flood = await openConnections(target, options.floodConnections);
  try {
    const { challenge } = pkce();
    await pushAuthorizationRequest(legit[0]!, target, cimdClient, challenge);
    const legitStep = (connection: Connection) => () =>
      pushAuthorizationRequest(connection, target, cimdClient, challenge).then(() => undefined);
    const baseline = await runLoad(legit.map(legitStep) as Step[], options.baseline);

    const before = await options.documentHost.call<Counts>({ type: 'counts' });
    const rssBefore = options.server.memory()?.rssMiB ?? 0;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, options.server.memory()?.rssMiB ?? 0);
    }, 100);
    let floodDone = false;
    let sent = 0;
    const floodStatuses: Record<string, number> = {};
    const latencies: number[] = [];
    let legitErrors = 0;
    const started = performance.now();
    const deadline = started + options.maxFloodMs;
    const legitLoops = legit.map(async (connection) => {
      const step = legitStep(connection);
      while (!floodDone) {
        const began = performance.now();
        try {
          await step();
          if (!floodDone) latencies.push(performance.now() - began);
        } catch {
          legitErrors++;
        }
      }
    });
    // The flood's PAR is built and sent by hand: the same parameters as pushAuthorizationRequest,
    // without an Error (and its stack) per refusal, so the driver core (shared with the document
    // host) spends little per flood request and the flood can reach its 100,000 ids.
    const floodBody = (clientId: string, redirectUri: string): string =>
      `client_id=${encodeURIComponent(clientId)}&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}` +
      `&scope=${encodeURIComponent(SCOPE)}&resource=${encodeURIComponent(RESOURCE)}` +
      `&code_challenge=${challenge}&code_challenge_method=S256&state=s${sent}`;
    await Promise.all(
      flood.map(async (connection) => {
        while (sent < options.total && performance.now() < deadline) {
          const index = sent++;
          const host = FLOOD_HOSTS[index % FLOOD_HOSTS.length]!;
          const body = floodBody(
            `https://${host}:${options.documentPort}/u/${index}`,
            `https://${host}/callback`,
          );
          let status = 'error';
          try {
            status = String((await connection.send('POST', target.paths.par, { body })).status);
          } catch {
            // a broken connection: counted as 'error'
          }
          floodStatuses[status] = (floodStatuses[status] ?? 0) + 1;
        }
      }),
    );
    const floodMs = performance.now() - started;
    floodDone = true;
    await Promise.all(legitLoops);
    clearInterval(sampler);
    const after = await options.documentHost.call<Counts>({ type: 'counts' });
    const during = summarise(latencies, legitErrors, [], options.legitConnections, floodMs);
    return {
      target: target.name,
      legitConnections: options.legitConnections,
      floodConnections: options.floodConnections,
      baselineOpsPerSecond: baseline.opsPerSecond,
      legitOpsPerSecond: during.opsPerSecond,
      legitFraction: round(during.opsPerSecond / Math.max(1, baseline.opsPerSecond), 3),
      legitP50Ms: during.p50Ms,
      legitP99Ms: during.p99Ms,
      legitErrors,
      floodRequests: sent,
      floodPerSecond: round((sent / floodMs) * 1000),
      floodStatuses,
      fetches: (after.u ?? 0) - (before.u ?? 0),
      floodMs: round(floodMs),
      rssBeforeMiB: round(rssBefore, 1),
      peakRssMiB: round(peakRss, 1),
      rssAfterMiB: round(options.server.memory()?.rssMiB ?? 0, 1),
      capped: sent < options.total,
    };
  } finally {
    await Promise.all([...legit, ...flood].map((connection) => connection.close()));
  }
}
