import { FLOOD_HOSTS, RESOURCE, SCOPE } from '../common.ts';
import {
  type Connection,
  type LoadOptions,
  type LoadResult,
  round,
  runLoad,
  type Step,
  startOpenLoop,
} from '../driver.ts';
import type { BenchChild } from '../lib/child.ts';
import { cpuSecondsOf } from '../lib/process-usage.ts';
import { type BenchClient, connectTo, pkce, pushAuthorizationRequest, type Target } from '../oauth.ts';

/**
 * The CIMD scenarios of issue #8:
 * (1) stampede: 1,000 concurrent requests for one client_id nobody has seen → how many fetches;
 * (2) flood: distinct unknown client_ids on other hosts alongside steady legitimate traffic (a
 *     fixed offered rate, open loop, a share of the server's own no-flood capacity) → legitimate
 *     throughput and latency against the same offered load without the flood, the server's peak
 *     RSS, the outbound fetches the server actually made, and the driver core's CPU; plus the
 *     closed-loop-against-closed-loop contention figure as a secondary line;
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

/** Legitimate traffic in one phase of the flood scenario. */
export interface LegitFigures {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** CPU time a process used over a phase, as a share of one core (from /proc/<pid>/stat). */
export interface CoreShares {
  /** The driver (this process) and the document host: both pinned to the driver core. */
  driverCore: number;
  /** The server under test, pinned to the server core. */
  server: number;
}

export interface FloodResult {
  target: string;
  /** No-flood capacity: legitimate PAR/s, `capacityConnections` closed loops, nothing else. */
  capacityOpsPerSecond: number;
  capacityConnections: number;
  /** The offered legitimate rate: `legitShare` × capacity, open loop (`--flood-legit-share`). */
  legitShare: number;
  offeredPerSecond: number;
  legitConnections: number;
  /** The offered rate alone, no flood, measured for `aloneMs`. */
  alone: LegitFigures;
  /** As long as the flood may last (its time cap), so both p99s are over windows of a like length. Absent from results saved before it was. */
  aloneMs?: number;
  /** The same offered rate while the flood runs. */
  underFlood: LegitFigures & { maxQueued: number };
  /** underFlood.opsPerSecond / alone.opsPerSecond: the issue #8 target (≥ 0.8). */
  legitFraction: number;
  floodConnections: number;
  floodRequests: number;
  floodPerSecond: number;
  floodStatuses: Record<string, number>;
  /** Document fetches the server actually made for flood client_ids (the governor's caps). */
  fetches: number;
  floodMs: number;
  /** True when the flood stopped at its time cap before sending every client_id. */
  capped: boolean;
  /** The highest RSS of the `aloneMs` without the flood: what the flood's peak is compared with. Absent from results saved before it was. */
  peakRssAloneMiB?: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  rssAfterMiB: number;
  /** CPU during the flood phase: is the driver core the bottleneck? */
  cpu: CoreShares;
  /**
   * Secondary: closed loop against closed loop with equal connection counts (the scenario's first
   * form): legitimate PAR/s while as many connections send unknown client_ids, as a share of the
   * capacity. This measures connection fairness, not the flood's harm to a steady client.
   */
  contention: {
    legitOpsPerSecond: number;
    legitShareOfCapacity: number;
    floodPerSecond: number;
    durationMs: number;
  };
}

/** Measures the CPU of the driver core's processes and the server over a phase. */
function cpuMeter(serverPid: number, documentHostPid: number): () => CoreShares {
  const wallStart = performance.now();
  const driverStart = process.cpuUsage();
  const hostStart = cpuSecondsOf(documentHostPid) ?? 0;
  const serverStart = cpuSecondsOf(serverPid) ?? 0;
  return () => {
    const wall = (performance.now() - wallStart) / 1000;
    const driver = process.cpuUsage(driverStart);
    const driverSeconds = (driver.user + driver.system) / 1e6;
    const host = (cpuSecondsOf(documentHostPid) ?? hostStart) - hostStart;
    const server = (cpuSecondsOf(serverPid) ?? serverStart) - serverStart;
    return { driverCore: round((driverSeconds + host) / wall, 2), server: round(server / wall, 2) };
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's highest RSS from now until `stop`, sampled every 100 ms. */
function sampleRss(server: BenchChild): { stop(): number } {
  let peak = server.memory()?.rssMiB ?? 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.memory()?.rssMiB ?? 0);
  }, 100);
  return {
    stop() {
      clearInterval(sampler);
      return Math.max(peak, server.memory()?.rssMiB ?? 0);
    },
  };
}

export async function floodScenario(options: {
  target: Target;
  server: BenchChild;
  documentHost: BenchChild;
  documentPort: number;
  cimdClient: BenchClient;
  /** Closed loops for the capacity and the contention line. */
  capacityConnections: number;
  /** Connections the open-loop legitimate traffic may use (more than it needs when unhurt). */
  legitConnections: number;
  floodConnections: number;
  /** Offered legitimate rate as a share of the measured capacity. */
  legitShare: number;
  total: number;
  maxFloodMs: number;
  baseline: LoadOptions;
}): Promise<FloodResult> {
  const { target, cimdClient } = options;
  const closed = Array.from({ length: options.capacityConnections }, () => connectTo(target));
  const open = await openConnections(target, options.legitConnections);
  const flood = await openConnections(target, options.floodConnections);
  try {
    const { challenge } = pkce();
    await pushAuthorizationRequest(closed[0]!, target, cimdClient, challenge);
    const legitStep = (connection: Connection) => () =>
      pushAuthorizationRequest(connection, target, cimdClient, challenge).then(() => undefined);

    // 1. Capacity: closed loops, no flood (the figure the offered rate is a share of).
    const capacity = await runLoad(closed.map(legitStep) as Step[], options.baseline);
    const rate = Math.max(1, Math.round(capacity.opsPerSecond * options.legitShare));
    const openSteps = open.map(legitStep) as Step[];

    // 2. The offered rate alone, for as long as the flood may last. A p99 compares only with one
    // taken over as long a window: the server's periodic work (the minute's purge of expired rows,
    // the WAL checkpoint, a mark-compact) lands in every 90-second window but only in some 6-second
    // ones, so a short baseline's p99 was sometimes 5 ms and sometimes 27 ms on the same code.
    // Its RSS is sampled as the flood's is: the flood's memory is what its peak adds to this peak,
    // not to one sample taken somewhere on the collector's saw-tooth.
    const aloneMs = options.maxFloodMs;
    const aloneLoop = startOpenLoop(openSteps, rate);
    const aloneFrom = performance.now() + options.baseline.warmupMs;
    const aloneRss = sampleRss(options.server);
    await sleep(options.baseline.warmupMs + aloneMs);
    const peakRssAlone = aloneRss.stop();
    const alone = await aloneLoop.stop(aloneFrom, aloneFrom + aloneMs);

    // 3. The same offered rate alongside the flood. The flood's PAR is built and sent by hand:
    // the same parameters as pushAuthorizationRequest, without an Error (and its stack) per
    // refusal, so the driver core (shared with the document host) spends little per flood request.
    const floodBody = (clientId: string, redirectUri: string, index: number): string =>
      `client_id=${encodeURIComponent(clientId)}&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}` +
      `&scope=${encodeURIComponent(SCOPE)}&resource=${encodeURIComponent(RESOURCE)}` +
      `&code_challenge=${challenge}&code_challenge_method=S256&state=s${index}`;
    const runFlood = async (prefix: string, total: number, deadline: number, statuses: Counts) => {
      let sent = 0;
      await Promise.all(
        flood.map(async (connection) => {
          while (sent < total && performance.now() < deadline) {
            const index = sent++;
            const host = FLOOD_HOSTS[index % FLOOD_HOSTS.length]!;
            const body = floodBody(
              `https://${host}:${options.documentPort}/${prefix}/${index}`,
              `https://${host}/callback`,
              index,
            );
            let status = 'error';
            try {
              status = String((await connection.send('POST', target.paths.par, { body })).status);
            } catch {
              // a broken connection: counted as 'error'
            }
            statuses[status] = (statuses[status] ?? 0) + 1;
          }
        }),
      );
      return sent;
    };

    const floodLoop = startOpenLoop(openSteps, rate);
    // The legitimate traffic is running at its rate before the flood starts.
    await sleep(Math.min(1000, options.baseline.warmupMs));
    const before = await options.documentHost.call<Counts>({ type: 'counts' });
    const rssBefore = options.server.memory()?.rssMiB ?? 0;
    const floodRss = sampleRss(options.server);
    const floodStatuses: Counts = {};
    const meter = cpuMeter(options.server.pid, options.documentHost.pid);
    const floodStarted = performance.now();
    const sent = await runFlood('u', options.total, floodStarted + options.maxFloodMs, floodStatuses);
    const floodEnded = performance.now();
    const cpu = meter();
    const underFlood = await floodLoop.stop(floodStarted, floodEnded);
    const peakRss = floodRss.stop();
    const after = await options.documentHost.call<Counts>({ type: 'counts' });
    const rssAfter = options.server.memory()?.rssMiB ?? 0;

    // 4. Secondary: closed loop against closed loop, equal connection counts, for as long as a
    // throughput scenario measures (distinct unknown ids again, on another path: /v/<i>, 404).
    let contentionDone = false;
    let contentionOps = 0;
    const contentionFrom = performance.now() + options.baseline.warmupMs;
    const contentionUntil = contentionFrom + options.baseline.durationMs;
    const contentionLegit = closed.map(async (connection) => {
      const step = legitStep(connection);
      while (!contentionDone) {
        try {
          await step();
          const ended = performance.now();
          if (ended >= contentionFrom && ended <= contentionUntil) contentionOps++;
        } catch {
          await sleep(5);
        }
      }
    });
    const contentionStatuses: Counts = {};
    let contentionFloodStart = 0;
    const contentionFlood = (async () => {
      await sleep(0);
      contentionFloodStart = performance.now();
      return runFlood('v', Number.MAX_SAFE_INTEGER, contentionUntil, contentionStatuses);
    })();
    const contentionSent = await contentionFlood;
    contentionDone = true;
    await Promise.all(contentionLegit);
    const contentionLegitPerSecond = round((contentionOps / options.baseline.durationMs) * 1000);

    const figures = (r: LoadResult): LegitFigures => ({
      opsPerSecond: r.opsPerSecond,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      errors: r.errors,
    });
    return {
      target: target.name,
      capacityOpsPerSecond: capacity.opsPerSecond,
      capacityConnections: options.capacityConnections,
      legitShare: options.legitShare,
      offeredPerSecond: rate,
      legitConnections: options.legitConnections,
      alone: figures(alone),
      aloneMs,
      underFlood: { ...figures(underFlood), maxQueued: underFlood.maxQueued },
      legitFraction: round(underFlood.opsPerSecond / Math.max(1, alone.opsPerSecond), 3),
      floodConnections: options.floodConnections,
      floodRequests: sent,
      floodPerSecond: round((sent / (floodEnded - floodStarted)) * 1000),
      floodStatuses,
      fetches: (after.u ?? 0) - (before.u ?? 0),
      floodMs: round(floodEnded - floodStarted),
      capped: sent < options.total,
      peakRssAloneMiB: round(peakRssAlone, 1),
      rssBeforeMiB: round(rssBefore, 1),
      peakRssMiB: round(peakRss, 1),
      rssAfterMiB: round(rssAfter, 1),
      cpu,
      contention: {
        legitOpsPerSecond: contentionLegitPerSecond,
        legitShareOfCapacity: round(contentionLegitPerSecond / Math.max(1, capacity.opsPerSecond), 3),
        floodPerSecond: round((contentionSent / (contentionUntil - contentionFloodStart)) * 1000),
        durationMs: options.baseline.durationMs,
      },
    };
  } finally {
    await Promise.all([...closed, ...open, ...flood].map((connection) => connection.close()));
  }
}
