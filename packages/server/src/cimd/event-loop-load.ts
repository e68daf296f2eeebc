import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * How busy this process's event loop is, sampled on a timer (issue #18, finding 10): the share of
 * the last interval the loop spent running code (event-loop utilization) and how late its timers
 * ran (event-loop delay, `perf_hooks.monitorEventLoopDelay`). Reading it is two field reads, so the
 * request path asks it per request; the sampling itself costs one timer per interval.
 */
export interface EventLoopLoad {
  /** The loop was busy at least `busyUtilization` of the last interval: known clients have work queued. */
  busy(): boolean;
  /** The mean event-loop delay of the last interval exceeded `shedDelayMs` (never when that is 0). */
  overloaded(): boolean;
  /** The last interval's figures, for metrics and tests. */
  last(): { utilization: number; meanDelayMs: number };
  stop(): void;
}

/** The delay that matters here is tens of milliseconds and more. */
const RESOLUTION_MS = 10;

export interface EventLoopLoadOptions {
  intervalMs?: number;
  /** Default 0.5. */
  busyUtilization?: number;
  /** 0: never overloaded. */
  shedDelayMs: number;
  /** Called after each sample (the admission's wait sweep rides on the same timer). */
  onSample?: () => void;
}

export function monitorEventLoopLoad(options: EventLoopLoadOptions): EventLoopLoad {
  const intervalMs = options.intervalMs ?? 250;
  const busyUtilization = options.busyUtilization ?? 0.5;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let previous = performance.eventLoopUtilization();
  let utilization = 0;
  let meanDelayMs = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    utilization = performance.eventLoopUtilization(now, previous).utilization;
    previous = now;
    // The histogram records whole intervals (the 10 ms resolution included), and its mean is NaN
    // before its first sample: the delay is what exceeds the resolution.
    meanDelayMs = Number.isFinite(delay.mean) ? Math.max(0, delay.mean / 1e6 - RESOLUTION_MS) : 0;
    delay.reset();
    options.onSample?.();
  }, intervalMs);
  timer.unref();
  return {
    busy: () => utilization >= busyUtilization,
    overloaded: () => options.shedDelayMs > 0 && meanDelayMs > options.shedDelayMs,
    last: () => ({ utilization, meanDelayMs }),
    stop() {
      clearInterval(timer);
      delay.disable();
    },
  };
}
