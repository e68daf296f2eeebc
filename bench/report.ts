import { DOCUMENT_HOSTS } from './common.ts';
import type { LoadOptions, LoadResult } from './driver.ts';
import type { FloorResult } from './floors.ts';
import type { ResolveCost } from './resolve-cost.ts';
import type { FloodResult, StampedeResult } from './scenarios/cimd.ts';
import { governanceLines } from './scenarios/governance.ts';
import { type InventoryResult, inventoryLines } from './scenarios/inventory.ts';
import type { ThroughputResult } from './scenarios/throughput.ts';

/**
 * What `npm run bench` prints (docs/benchmarks.md): the targets, and the table of a run's figures
 * next to them. bench/run.ts measures; this only reads its report, so the table can be printed
 * again from a saved JSON result.
 */

/**
 * The targets printed next to the figures: issue #18's (they raised issue #8's 2× / 2× / 70 % of
 * the jose floor / 80 % under the flood). The refresh floor is node:crypto's since #18 (what
 * Gatehouse signs and verifies with, decision 0018).
 */
export const TARGETS = {
  parCimdVsPeer: 4,
  refreshVsPeer: 2.5,
  refreshVsNodeFloor: 0.8,
  codeFlowVsPeer: 2.5,
  /** The steady legitimate load served under the flood, as a share of what was offered. */
  floodLegitFraction: 0.95,
  /** Legitimate p99 under the flood at most this many times its p99 alone. */
  floodP99Factor: 5,
  /** With as many flood connections as legitimate ones, the legitimate share of the server. */
  floodContentionShare: 0.75,
  /** Peak RSS during the flood may exceed the peak RSS alone (as long a window) by at most this much. */
  floodRssGrowthMiB: 64,
  stampedeFetches: 1,
};

export interface BenchReport {
  startedAt: string;
  mode: 'quick' | 'full';
  machine: { cpus: number; model: string; node: string; pinning: string; trust: string };
  load: LoadOptions & { connections: number; rounds: number; dpopNonce: string; floodLegitShare?: number };
  targets: typeof TARGETS;
  floors?: FloorResult;
  bare?: LoadResult;
  throughput: ThroughputResult[];
  stampede: StampedeResult[];
  flood: FloodResult[];
  resolveCost: ResolveCost[];
  inventory?: InventoryResult;
  elapsedSeconds?: number;
  profiles?: string[];
  /** Scenarios (or rounds of one) that threw: recorded, and the run went on. */
  failures: { scenario: string; target?: string; error: string }[];
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? '' : met ? 'met' : 'MISSED';
}

/** The table: ops/s and p50/p99 per target, Gatehouse/peer ratios, targets and verdicts. */
export function formatReport(report: BenchReport): string {
  const lines: string[] = [];
  const push = (line = '') => lines.push(line);
  const find = (scenario: string, target: string) =>
    report.throughput.find((row) => row.scenario === scenario && row.target === target);
  const targets = [...new Set(report.throughput.map((row) => row.target))];
  push(
    `Gatehouse bench (${report.mode}), ${report.machine.cpus} × ${report.machine.model}, Node ${report.machine.node}`,
  );
  push(`pinning: ${report.machine.pinning}`);
  push(
    `load: ${report.load.connections} connections, pipelining 1, ${report.load.warmupMs} ms warm-up, ${report.load.durationMs} ms measured, best of ${report.load.rounds} round(s); ` +
      `plain http on 127.0.0.1 for both servers; DPoP nonces ${report.load.dpopNonce}`,
  );
  if (report.floors !== undefined) {
    const f = report.floors;
    push();
    push(
      `floors (one core, jose): ES256 sign ${f.es256SignPerSecond}/s, DPoP proof verify ${f.dpopVerifyPerSecond}/s ` +
        `(Gatehouse verifyDpopProof ${f.gatehouseDpopVerifyPerSecond}/s); refresh floor 1/(1/sign+1/verify) = ${f.refreshFloorPerSecond}/s`,
    );
    if (f.nodeEs256SignPerSecond !== undefined) {
      // Decision 0018: what Gatehouse signs and verifies with; the refresh target stays on jose's floor.
      push(
        `floors (one core, node:crypto): ES256 sign ${f.nodeEs256SignPerSecond}/s, DPoP proof verify ${f.nodeDpopVerifyPerSecond}/s; ` +
          `refresh floor ${f.nodeRefreshFloorPerSecond}/s`,
      );
    }
  }
  if (report.bare !== undefined) {
    push(
      `ceiling (bare node:http JSON server): ${report.bare.opsPerSecond}/s, p50 ${report.bare.p50Ms} ms, p99 ${report.bare.p99Ms} ms`,
    );
  }
  push();
  const cell = (row: ThroughputResult | undefined) =>
    row === undefined
      ? '—'
      : `${row.opsPerSecond}/s ${row.p50Ms}/${row.p99Ms}ms${row.errors > 0 ? ` err ${row.errors}` : ''}`;
  const header = ['scenario', ...targets, 'GH/peer', 'target', ''];
  const rows: string[][] = [header];
  const peer = 'oidc-provider';
  const gatehouse = targets.find((name) => name.startsWith('gatehouse-')) ?? 'gatehouse-sqlite';
  for (const scenario of ['par-cimd', 'par-static', 'refresh-dpop', 'code-flow', 'metadata']) {
    if (!targets.some((target) => find(scenario, target))) continue;
    const ours = find(scenario, gatehouse);
    const theirs = find(scenario, peer);
    const ratio =
      ours && theirs && theirs.opsPerSecond > 0 ? ours.opsPerSecond / theirs.opsPerSecond : undefined;
    let target = '';
    let met: boolean | undefined;
    if (scenario === 'par-cimd' && ratio !== undefined) {
      target = `≥ ${TARGETS.parCimdVsPeer}× peer`;
      met = ratio >= TARGETS.parCimdVsPeer;
    }
    if (scenario === 'refresh-dpop' && ours !== undefined) {
      const floor = report.floors?.nodeRefreshFloorPerSecond;
      const parts: string[] = [];
      if (ratio !== undefined) {
        parts.push(`≥ ${TARGETS.refreshVsPeer}× peer`);
        met = ratio >= TARGETS.refreshVsPeer;
      }
      if (floor !== undefined) {
        const share = ours.opsPerSecond / floor;
        parts.push(`≥ ${TARGETS.refreshVsNodeFloor * 100}% node:crypto floor (${Math.round(share * 100)}%)`);
        met = (met ?? true) && share >= TARGETS.refreshVsNodeFloor;
      }
      if (ours.notes.dpop !== true) parts.push('NOT DPoP: Gatehouse answered Bearer');
      target = parts.join(', ');
    }
    if (scenario === 'code-flow') {
      const parts: string[] = [];
      if (ratio !== undefined) {
        parts.push(`≥ ${TARGETS.codeFlowVsPeer}× peer`);
        met = ratio >= TARGETS.codeFlowVsPeer;
      }
      if (ours?.notes.requestsPerFlow !== undefined)
        parts.push(
          `requests/flow: GH ${ours.notes.requestsPerFlow}, peer ${theirs?.notes.requestsPerFlow ?? '—'}`,
        );
      target = parts.join(', ');
    }
    rows.push([
      scenario,
      ...targets.map((name) => cell(find(scenario, name))),
      ratio === undefined ? '—' : `${ratio.toFixed(2)}×`,
      target,
      verdict(met),
    ]);
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  // Only when a throughput scenario ran (`--scenarios=flood` alone has no table).
  if (rows.length > 1) {
    for (const row of rows)
      push(
        row
          .map((value, column) => value.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      );
    push(
      '(each cell: operations/s, p50/p99 latency of one operation; code-flow: one operation = whole flow)',
    );
    for (const line of serverCostLines(report.throughput, gatehouse, peer)) push(line);
  }
  lines.push(...governanceLines(report.throughput));
  if (report.stampede.length > 0) {
    push();
    push('CIMD (1) stampede: concurrent requests for one unseen client_id');
    for (const s of report.stampede) {
      push(
        `  ${s.target.padEnd(17)} ${s.requests} requests → ${s.fetches} fetch(es), ${s.succeeded} succeeded, ${s.wallMs} ms  ${verdict(s.fetches === TARGETS.stampedeFetches)}`,
      );
    }
  }
  if (report.flood.length > 0) {
    push();
    push(
      `CIMD (2) flood of distinct unknown client_ids on ${DOCUMENT_HOSTS.length - 2} other hosts + steady legitimate PAR (targets: legit ≥ ${TARGETS.floodLegitFraction * 100}% of the offered load served, p99 ≤ ${TARGETS.floodP99Factor}× its p99 alone, ≥ ${TARGETS.floodContentionShare * 100}% of the server with equal connection counts, peak RSS ≤ +${TARGETS.floodRssGrowthMiB} MiB over its peak alone)`,
    );
    for (const f of report.flood) {
      // Results saved before the alone phase sampled its RSS compare with the one sample before.
      const rssBaseline = f.peakRssAloneMiB ?? f.rssBeforeMiB;
      const met =
        f.legitFraction >= TARGETS.floodLegitFraction &&
        f.underFlood.p99Ms <= TARGETS.floodP99Factor * f.alone.p99Ms &&
        f.contention.legitShareOfCapacity >= TARGETS.floodContentionShare &&
        f.peakRssMiB - rssBaseline <= TARGETS.floodRssGrowthMiB;
      const errors = (n: number) => (n > 0 ? `, ${n} errors` : '');
      const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
      push(
        `  ${f.target.padEnd(17)} ${f.floodRequests} ids${f.capped ? ' (time cap)' : ''} at ${f.floodPerSecond}/s, ${f.fetches} fetches made; ` +
          (f.peakRssAloneMiB === undefined
            ? `RSS ${f.rssBeforeMiB} → peak ${f.peakRssMiB} MiB`
            : `RSS peak ${f.peakRssAloneMiB} MiB alone → ${f.peakRssMiB} MiB under the flood`) +
          `  ${verdict(met)}`,
      );
      push(
        `    legit offered ${f.offeredPerSecond}/s open loop (${Math.round(f.legitShare * 100)}% of no-flood capacity ${f.capacityOpsPerSecond}/s): ` +
          `alone${f.aloneMs === undefined ? '' : ` (${seconds(f.aloneMs)})`} ${f.alone.opsPerSecond}/s p50/p99 ${f.alone.p50Ms}/${f.alone.p99Ms} ms${errors(f.alone.errors)}; ` +
          `under flood (${seconds(f.floodMs)}) ${f.underFlood.opsPerSecond}/s p50/p99 ${f.underFlood.p50Ms}/${f.underFlood.p99Ms} ms${errors(f.underFlood.errors)} = ${Math.round(f.legitFraction * 100)}%`,
      );
      push(
        `    CPU during the flood: driver core ${Math.round(f.cpu.driverCore * 100)}% (driver + document host), server ${Math.round(f.cpu.server * 100)}%; ` +
          `contention: legit share with equal connection counts ${Math.round(f.contention.legitShareOfCapacity * 100)}% (${f.contention.legitOpsPerSecond}/s, ${f.capacityConnections} + ${f.floodConnections} closed loops)`,
      );
    }
  }
  if (report.resolveCost.length > 0) {
    push();
    push('CIMD (3) warm-cache client resolution, in process, one core');
    for (const r of report.resolveCost) {
      push(`  ${r.target.padEnd(17)} ${r.microsecondsPerResolve} µs per resolve (${r.resolvesPerSecond}/s)`);
    }
  }
  lines.push(...inventoryLines(report.inventory));
  if (report.failures.length > 0) {
    push();
    push('FAILED (not measured; the rest of the run went on):');
    for (const { scenario, target, error } of report.failures)
      push(`  ${scenario} ${target ?? ''}: ${error}`);
  }
  if (report.elapsedSeconds !== undefined) {
    push();
    push(`elapsed: ${report.elapsedSeconds} s`);
  }
  return lines.join('\n');
}

/**
 * What an operation costs the server (all its threads, /proc, over the measured window of the best
 * round): its CPU against the peer's, and the bytes Gatehouse sent to storage. That is what a change
 * to the request path moves, whatever limited the rate (the driver's core can be the limit for PAR).
 */
function serverCostLines(results: readonly ThroughputResult[], gatehouse: string, peer: string): string[] {
  const lines: string[] = [];
  for (const scenario of ['par-cimd', 'par-static', 'refresh-dpop', 'code-flow']) {
    const ours = results.find((r) => r.scenario === scenario && r.target === gatehouse);
    const theirs = results.find((r) => r.scenario === scenario && r.target === peer)?.serverCpuMicrosPerOp;
    const cpu = ours?.serverCpuMicrosPerOp;
    if (cpu === undefined) continue;
    const ratio = theirs === undefined ? '' : `, peer ${theirs} µs: ${(theirs / cpu).toFixed(2)}× less`;
    const disk = ours?.serverDiskBytesPerOp;
    const written = disk === undefined ? '' : `; Gatehouse wrote ${disk} bytes to storage per operation`;
    lines.push(`  ${scenario.padEnd(13)} server CPU per operation: Gatehouse ${cpu} µs${ratio}${written}`);
  }
  return lines.length === 0 ? [] : ['server cost per operation (all threads, /proc, best round):', ...lines];
}
