/**
 * The outbound fetch governor: token-bucket rate limits and concurrency caps, per host and global,
 * around every network fetch the server makes to a URL an outsider chose (CIMD documents, and later
 * jwks_uri and logos). Its job is to keep a flood of distinct client_ids from turning Gatehouse into
 * an amplifier against one host, or from exhausting the server itself (CIMD-FETCH-11: the draft
 * sets no limit; issue #52 and MCP SEP-991 ask for rate-limited outbound fetches).
 *
 * It never queues without bound: a caller that would have to wait beyond a small queue is refused at
 * once with a `GovernorRefusedError`. Rate limits never queue at all (there is no timer in here), so
 * the governor is deterministic under an injected clock.
 */
import { LRUCache } from 'lru-cache';

import { cimdDefaults } from '../config/cimd-schema.ts';

export type GovernorRefusalReason =
  /** The global token bucket is empty. */
  | 'global_rate'
  /** This host's token bucket is empty. */
  | 'host_rate'
  /** All global slots are busy and the shared wait queue is full. */
  | 'global_concurrency'
  /** All of this host's slots are busy and its share of the wait queue is full. */
  | 'host_concurrency'
  /** This host has a free share, but the shared wait queue is full of other hosts' waiters. */
  | 'queue_full';

export class GovernorRefusedError extends Error {
  override readonly name = 'GovernorRefusedError';
  readonly reason: GovernorRefusalReason;
  readonly host: string;

  constructor(reason: GovernorRefusalReason, host: string) {
    super(`outbound fetch to ${host} refused by the governor: ${reason}`);
    this.reason = reason;
    this.host = host;
  }
}

export function isGovernorRefusedError(error: unknown): error is GovernorRefusedError {
  return error instanceof GovernorRefusedError;
}

export interface FetchGovernorOptions {
  /** Fetches running at once, all hosts together. Default 16. */
  globalConcurrency?: number;
  /** Fetches running at once against one host. Default 2. */
  perHostConcurrency?: number;
  /** Sustained admissions per second, all hosts together. Default 50. */
  globalRatePerSecond?: number;
  /** Sustained admissions per second to one host. Default 5. */
  perHostRatePerSecond?: number;
  /** Global bucket size (burst). Default `globalRatePerSecond`. */
  globalBurst?: number;
  /** Per-host bucket size (burst). Default `perHostRatePerSecond`. */
  burst?: number;
  /** Callers allowed to wait for a slot, all hosts together. Default 64. */
  maxQueue?: number;
  /** Callers allowed to wait for a slot of one host. Default 4. */
  perHostMaxQueue?: number;
  /** Hosts whose state is remembered (LRU; busy hosts are never forgotten). Default 10 000. */
  maxHosts?: number;
  /** Monotonic milliseconds. Default `performance.now()`. */
  clock?: () => number;
}

export interface FetchGovernorStats {
  /** Tasks running now. */
  active: number;
  /** Tasks waiting for a slot. */
  queued: number;
  /** Hosts with remembered state. */
  hosts: number;
  /** Tasks admitted (started or queued) since creation. */
  admitted: number;
  /** Host states forgotten to keep the host table bounded. */
  hostsEvicted: number;
  refused: Record<GovernorRefusalReason, number>;
}

export interface FetchGovernor {
  /** Runs `task` under the limits of `host` (case-insensitive) and the global ones. */
  run<T>(host: string, task: () => Promise<T>): Promise<T>;
  /**
   * Would `run(host, …)` be admitted now? The refusal reason if not, undefined if so. Pure: nothing
   * is consumed or counted, and no state is created for an unseen host (a flood of distinct hosts
   * costs no memory here). Lets a caller refuse before doing any work of its own (the CIMD resolver
   * does this before its store reads, docs/decisions/0020-cheap-cimd-refusals.md).
   */
  check(host: string): GovernorRefusalReason | undefined;
  stats(): FetchGovernorStats;
}

/** A token bucket: `tokens` as of `updatedAt`. */
export interface TokenBucket {
  tokens: number;
  updatedAt: number;
}

/** Pure: the bucket topped up for the time elapsed, never above `burst`. */
export function refill(bucket: TokenBucket, now: number, ratePerSecond: number, burst: number): TokenBucket {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  return { tokens: Math.min(burst, bucket.tokens + (elapsed * ratePerSecond) / 1000), updatedAt: now };
}

interface HostState {
  bucket: TokenBucket;
  active: number;
  waiting: number;
}

interface Waiter {
  state: HostState;
  start: () => void;
}

function isBusy(state: HostState): boolean {
  return state.active > 0 || state.waiting > 0;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}

export function createFetchGovernor(options: FetchGovernorOptions = {}): FetchGovernor {
  const globalConcurrency = positive(options.globalConcurrency ?? 16, 'globalConcurrency');
  const perHostConcurrency = positive(options.perHostConcurrency ?? 2, 'perHostConcurrency');
  const globalRate = positive(
    options.globalRatePerSecond ?? cimdDefaults.fetchesPerSecond,
    'globalRatePerSecond',
  );
  const hostRate = positive(
    options.perHostRatePerSecond ?? cimdDefaults.fetchesPerSecondPerHost,
    'perHostRatePerSecond',
  );
  const globalBurst = positive(options.globalBurst ?? globalRate, 'globalBurst');
  const hostBurst = positive(options.burst ?? hostRate, 'burst');
  const maxQueue = nonNegativeInteger(options.maxQueue ?? 64, 'maxQueue');
  const perHostMaxQueue = nonNegativeInteger(options.perHostMaxQueue ?? 4, 'perHostMaxQueue');
  const maxHosts = positive(options.maxHosts ?? 10_000, 'maxHosts');
  const clock = options.clock ?? (() => performance.now());

  // Bounded per-host memory: 100k distinct hosts must not mean 100k states. Forgetting an idle host
  // hands it a full bucket when it returns, which is harmless: the host bucket refills within
  // burst/rate seconds anyway, and the global bucket still bounds the total. Busy hosts (running or
  // queued) are never forgotten, and there are at most globalConcurrency + maxQueue of them: the
  // LRU (lru-cache, decision 0023) may evict one, but it is then kept aside in `busyEvicted` until
  // its last task ends, and goes back into the LRU as the most recently used host.
  const hosts = new LRUCache<string, HostState>({
    max: maxHosts,
    dispose: (state, host, reason) => {
      if (reason !== 'evict') return;
      if (isBusy(state)) busyEvicted.set(host, state);
      else hostsEvicted++;
    },
  });
  const busyEvicted = new Map<string, HostState>();
  const queue: Waiter[] = [];
  let globalBucket: TokenBucket = { tokens: globalBurst, updatedAt: clock() };
  let globalActive = 0;
  let admitted = 0;
  let hostsEvicted = 0;
  const refused: Record<GovernorRefusalReason, number> = {
    global_rate: 0,
    host_rate: 0,
    global_concurrency: 0,
    host_concurrency: 0,
    queue_full: 0,
  };

  /** The host's state, touched in the LRU; a new one (full bucket, no load) for an unseen host. */
  function hostState(host: string, now: number): HostState {
    const state = hosts.get(host) ?? busyEvicted.get(host);
    if (state !== undefined) return state;
    const fresh: HostState = { bucket: { tokens: hostBurst, updatedAt: now }, active: 0, waiting: 0 };
    hosts.set(host, fresh);
    return fresh;
  }

  /** After a task of `host` ended: a busy host kept aside goes back into the LRU once idle. */
  function settle(host: string, state: HostState): void {
    if (isBusy(state) || busyEvicted.get(host) !== state) return;
    busyEvicted.delete(host);
    hosts.set(host, state);
  }

  function refuse(reason: GovernorRefusalReason, host: string): never {
    refused[reason]++;
    throw new GovernorRefusedError(reason, host);
  }

  /** Starts waiters, oldest first, as long as some of them fit under both caps. */
  function pump(): void {
    for (let i = 0; i < queue.length && globalActive < globalConcurrency; ) {
      const waiter = queue[i]!;
      if (waiter.state.active < perHostConcurrency) {
        queue.splice(i, 1);
        waiter.state.waiting--;
        waiter.start();
      } else {
        i++;
      }
    }
  }

  async function execute<T>(host: string, state: HostState, task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      state.active--;
      globalActive--;
      pump();
      settle(host, state);
    }
  }

  async function run<T>(rawHost: string, task: () => Promise<T>): Promise<T> {
    const host = rawHost.toLowerCase();
    const now = clock();
    const state = hostState(host, now);

    // Rate first, host before global: a host hammering its own bucket is refused without draining
    // the global bucket that every other host shares. Nothing is consumed unless the call is admitted.
    const hostBucket = refill(state.bucket, now, hostRate, hostBurst);
    const global = refill(globalBucket, now, globalRate, globalBurst);
    state.bucket = hostBucket;
    globalBucket = global;
    if (hostBucket.tokens < 1) refuse('host_rate', host);
    if (global.tokens < 1) refuse('global_rate', host);

    const hostBusy = state.active >= perHostConcurrency;
    const globalBusy = globalActive >= globalConcurrency;
    // Waiters already queued are blocked by their own host's cap (pump() starts any that fit), so a
    // caller that fits under both caps now may start ahead of them without starving anyone.
    const mustWait = hostBusy || globalBusy;
    if (mustWait) {
      if (hostBusy && state.waiting >= perHostMaxQueue) refuse('host_concurrency', host);
      if (queue.length >= maxQueue) refuse(hostBusy ? 'queue_full' : 'global_concurrency', host);
    }

    // Admitted: rate tokens count admissions, whether the fetch starts now or after a short wait.
    hostBucket.tokens -= 1;
    global.tokens -= 1;
    admitted++;

    if (!mustWait) {
      state.active++;
      globalActive++;
      return execute(host, state, task);
    }
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    state.waiting++;
    queue.push({
      state,
      start: () => {
        state.active++;
        globalActive++;
        execute(host, state, task).then(resolve, reject);
      },
    });
    return promise;
  }

  function check(rawHost: string): GovernorRefusalReason | undefined {
    const host = rawHost.toLowerCase();
    const now = clock();
    // `peek`: no LRU touch, nothing changes.
    const state = hosts.peek(host) ?? busyEvicted.get(host);
    // Same order and arithmetic as run(), on copies: an unseen host has a full bucket and no load.
    const hostTokens =
      state === undefined ? hostBurst : refill(state.bucket, now, hostRate, hostBurst).tokens;
    if (hostTokens < 1) return 'host_rate';
    if (refill(globalBucket, now, globalRate, globalBurst).tokens < 1) return 'global_rate';
    const hostBusy = state !== undefined && state.active >= perHostConcurrency;
    const globalBusy = globalActive >= globalConcurrency;
    if (hostBusy || globalBusy) {
      if (hostBusy && state.waiting >= perHostMaxQueue) return 'host_concurrency';
      if (queue.length >= maxQueue) return hostBusy ? 'queue_full' : 'global_concurrency';
    }
    return undefined;
  }

  function stats(): FetchGovernorStats {
    return {
      active: globalActive,
      queued: queue.length,
      hosts: hosts.size + busyEvicted.size,
      admitted,
      hostsEvicted,
      refused: { ...refused },
    };
  }

  return { run, check, stats };
}
