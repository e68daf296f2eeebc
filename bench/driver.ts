import { Client } from 'undici';
import { readUsage, type UsageReading } from './lib/process-usage.ts';

/**
 * The load driver: a fixed number of virtual users (VUs), each with its own keep-alive connection
 * (undici Client, pipelining 1), each running its step in a closed loop for a fixed time after a
 * warm-up. A step may be several HTTP requests (a whole code flow); latency is per step. Nothing is
 * queued inside the driver, so the offered load is exactly "N outstanding operations".
 */

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Connection {
  /** One request on this VU's connection. `host` is sent as the issuer's authority. */
  send(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<HttpResponse>;
  close(): Promise<void>;
}

/**
 * A connection to `origin` (http://127.0.0.1:port) that presents itself as `hostHeader`
 * (localhost:port, the issuer's authority) so both servers see the URLs their issuer names.
 */
export function connect(origin: string, hostHeader: string): Connection {
  const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  return {
    send(method, path, options = {}) {
      const headers: Record<string, string> = { host: hostHeader };
      if (options.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      Object.assign(headers, options.headers);
      return new Promise<HttpResponse>((resolve, reject) => {
        client.dispatch(
          { method: method as 'GET', path, headers, body: options.body ?? null },
          new CollectingHandler(resolve, reject),
        );
      });
    },
    close: () => client.close(),
  };
}

/**
 * undici's lowest-level handler: the response's chunks are collected as they come, with none of
 * `request()`'s per-response body stream. The driver's own garbage is what stalls every virtual
 * user at once (V8's incremental marking steps of 15-20 ms in the driver were the p99 of the bare
 * server), so the driver allocates as little per request as it can.
 */
class CollectingHandler {
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private readonly resolve: (response: HttpResponse) => void;
  private readonly reject: (error: Error) => void;
  constructor(resolve: (response: HttpResponse) => void, reject: (error: Error) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }
  onRequestStart(): void {}
  onResponseStart(
    _controller: unknown,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = statusCode;
    this.headers = headers;
  }
  onResponseData(_controller: unknown, chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  onResponseEnd(): void {
    const body =
      this.chunks.length === 1
        ? this.chunks[0]!.toString('utf8')
        : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, body });
  }
  onResponseError(_controller: unknown, error: Error): void {
    this.reject(error);
  }
}

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Throws with the response when the status is not the expected one: counted as an error. */
export function expectStatus(response: HttpResponse, ...expected: number[]): HttpResponse {
  if (!expected.includes(response.status)) {
    throw new Error(`HTTP ${response.status} (wanted ${expected.join('/')}): ${response.body.slice(0, 300)}`);
  }
  return response;
}

export interface LoadOptions {
  warmupMs: number;
  durationMs: number;
  /** The server under load: its CPU and storage writes over the measured window, per operation. */
  serverPid?: number | undefined;
}

export interface LoadResult {
  /** Completed steps per second in the measured window. */
  opsPerSecond: number;
  ops: number;
  errors: number;
  /** The first few distinct error messages, for the report. */
  errorSamples: string[];
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  connections: number;
  durationMs: number;
  /**
   * The server's CPU (every thread: the event loop, the SQLite checkpoint worker, the thread pool)
   * over the measured window, per completed operation, in µs. Steadier than the rate when the
   * driver or the machine is the limit: it is what an operation costs the server's core.
   */
  serverCpuMicrosPerOp?: number;
  /** The server's bytes sent to storage over the measured window, per operation (/proc/<pid>/io). */
  serverDiskBytesPerOp?: number;
}

export type Step = () => Promise<void>;

/**
 * Runs every VU's step in a closed loop. Steps that finish inside [warm-up end, warm-up end +
 * duration] are counted; their latencies give the percentiles (sorted array, exact).
 */
export async function runLoad(steps: readonly Step[], options: LoadOptions): Promise<LoadResult> {
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  const samples = new Set<string>();
  let stop = false;
  const { serverPid } = options;
  let usageAtStart: UsageReading | undefined;
  let usageAtEnd: UsageReading | undefined;
  const meterStart = setTimeout(() => {
    if (serverPid !== undefined) usageAtStart = readUsage(serverPid);
  }, options.warmupMs);
  const timer = setTimeout(() => {
    stop = true;
    if (serverPid !== undefined) usageAtEnd = readUsage(serverPid);
  }, options.warmupMs + options.durationMs);
  await Promise.all(
    steps.map(async (step) => {
      while (!stop) {
        const began = performance.now();
        try {
          await step();
          const ended = performance.now();
          if (ended >= measureFrom && ended <= measureUntil) latencies.push(ended - began);
        } catch (error) {
          const ended = performance.now();
          if (ended >= measureFrom && ended <= measureUntil) errors++;
          if (samples.size < 3) samples.add((error as Error).message.slice(0, 300));
          // A failing step must not spin: give the server a breath before the next try.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    }),
  );
  clearTimeout(timer);
  clearTimeout(meterStart);
  const result = summarise(latencies, errors, [...samples], steps.length, options.durationMs);
  if (usageAtStart === undefined || usageAtEnd === undefined) return result;
  return { ...result, ...perOperation(usageAtStart, usageAtEnd, result.ops) };
}

export function summarise(
  latencies: number[],
  errors: number,
  errorSamples: string[],
  connections: number,
  durationMs: number,
): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = sorted.length === 0 ? 0 : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    opsPerSecond: round((latencies.length / durationMs) * 1000),
    ops: latencies.length,
    errors,
    errorSamples,
    p50Ms: round(at(0.5), 2),
    p99Ms: round(at(0.99), 2),
    meanMs: round(mean, 2),
    connections,
    durationMs,
  };
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** What an open-loop run measured: completions and latency in a window, at a fixed offered rate. */
export interface OpenLoopResult extends LoadResult {
  /** Operations offered per second (the schedule), whether or not the server kept up. */
  offeredPerSecond: number;
  /** Operations scheduled in the window. */
  offered: number;
  /** Most operations waiting in the driver for a free connection at once (the server fell behind). */
  maxQueued: number;
}

export interface OpenLoop {
  /**
   * Stops scheduling, waits for the operations on the wire, and summarises the operations that
   * finished in [from, until] (performance.now() times). Latency is measured from each operation's
   * *scheduled* time, so time spent waiting in the driver for a connection counts (no coordinated
   * omission: a server that falls behind shows it in p99, not in a lower offered rate).
   */
  stop(from: number, until: number): Promise<OpenLoopResult>;
}

/**
 * An open loop: operations are scheduled at a fixed rate (`ratePerSecond`), whatever the server
 * does, and run on the first free connection (one `step` per connection, pipelining 1); an
 * operation that finds every connection busy waits in a queue in the driver. This is "steady
 * traffic" in the sense of issue #8: the offered load does not fall when the server slows down.
 */
export function startOpenLoop(steps: readonly Step[], ratePerSecond: number): OpenLoop {
  const started = performance.now();
  const interval = 1000 / ratePerSecond;
  let scheduled = 0;
  const queue: number[] = [];
  let queueHead = 0;
  let maxQueued = 0;
  const free = [...steps];
  const ends: number[] = [];
  const latencies: number[] = [];
  const failures: number[] = [];
  const samples = new Set<string>();
  let inFlight = 0;
  let stopped = false;
  let drained: (() => void) | undefined;

  const run = (step: Step, at: number): void => {
    inFlight++;
    step()
      .then(
        () => {
          const ended = performance.now();
          ends.push(ended);
          latencies.push(ended - at);
        },
        (error: unknown) => {
          failures.push(performance.now());
          if (samples.size < 3) samples.add((error as Error).message.slice(0, 300));
        },
      )
      .finally(() => {
        inFlight--;
        if (!stopped && queueHead < queue.length) run(step, queue[queueHead++]!);
        else free.push(step);
        if (stopped && inFlight === 0) drained?.();
      });
  };
  const tick = (): void => {
    if (stopped) return;
    const now = performance.now();
    while (started + scheduled * interval <= now) {
      queue.push(started + scheduled * interval);
      scheduled++;
    }
    while (free.length > 0 && queueHead < queue.length) run(free.pop()!, queue[queueHead++]!);
    if (queueHead > 4096 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
    maxQueued = Math.max(maxQueued, queue.length - queueHead);
    timer = setTimeout(tick, Math.max(0, Math.min(1, started + scheduled * interval - performance.now())));
  };
  let timer = setTimeout(tick, 0);

  return {
    async stop(from, until) {
      stopped = true;
      clearTimeout(timer);
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      const inWindow: number[] = [];
      for (let i = 0; i < ends.length; i++) {
        const ended = ends[i]!;
        if (ended >= from && ended <= until) inWindow.push(latencies[i]!);
      }
      const errors = failures.filter((at) => at >= from && at <= until).length;
      const offered = Math.max(
        0,
        Math.min(scheduled, Math.ceil((until - started) / interval)) - Math.ceil((from - started) / interval),
      );
      return {
        ...summarise(inWindow, errors, [...samples], steps.length, until - from),
        offeredPerSecond: round(ratePerSecond),
        offered,
        maxQueued,
      };
    },
  };
}

/** CPU µs and storage bytes per operation between two readings; a figure is left out when unread. */
function perOperation(
  start: UsageReading,
  end: UsageReading,
  operations: number,
): Pick<LoadResult, 'serverCpuMicrosPerOp' | 'serverDiskBytesPerOp'> {
  if (operations <= 0) return {};
  return {
    ...(start.cpuSeconds === undefined || end.cpuSeconds === undefined
      ? {}
      : { serverCpuMicrosPerOp: round(((end.cpuSeconds - start.cpuSeconds) * 1e6) / operations, 1) }),
    ...(start.storageBytes === undefined || end.storageBytes === undefined
      ? {}
      : { serverDiskBytesPerOp: Math.round((end.storageBytes - start.storageBytes) / operations) }),
  };
}
