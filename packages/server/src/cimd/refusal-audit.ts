/**
 * Aggregated audit of the CIMD refusals that are our own load shedding (the fetch governor said no):
 * one `cimd.refused` row when a host first meets a refusal reason in an interval, then one summary
 * row per host and reason with the count of the refusals after it, instead of a store write and an
 * info log line per refused request. A flood of distinct unknown client_ids (100,000 ids on 100
 * hosts) thus costs a bounded number of audit writes per interval, while the first refusal of every
 * host is still stored at once. The per-request metric (`gatehouse_cimd_refusals_total`) and a
 * debug log line per refusal stay. Refusals caused by the document itself (an error status, an
 * invalid document, a URL rule) are not aggregated: they are rate-bounded by the governor and each
 * names a client a developer may be debugging. See docs/decisions/0020-cheap-cimd-refusals.md.
 */
import type { AuditEvent } from '../store/store.ts';

export const DEFAULT_REFUSAL_AUDIT_INTERVAL_MS = 60_000;
/** Host/reason windows held at once; beyond it, refusals are counted under host `*`. */
export const DEFAULT_REFUSAL_AUDIT_MAX_KEYS = 1_000;
/** The host of the window that collects refusals once `maxKeys` windows are open. */
export const OVERFLOW_HOST = '*';

export interface RefusalAuditLogger {
  debug(object: Record<string, unknown>, message: string): void;
  /** When given and false for `debug`, the line is not even built. */
  isLevelEnabled?(level: string): boolean;
}

export interface RefusalAuditOptions {
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
  /** Epoch ms; marks the windows in the summary rows. */
  clock: () => number;
  /** Length of a window. Default 60 s. */
  intervalMs?: number;
  /** Bound on the open windows (memory). Default 1,000. */
  maxKeys?: number;
  /** Where the per-refusal line goes (at debug). */
  logger?: RefusalAuditLogger;
}

export interface RefusalAudit {
  /** One refusal by the governor of a fetch of `clientId` (a document URL on `host`). */
  record(clientId: string, host: string, reason: string): Promise<void>;
  /** Writes the summary rows of every window with refusals not yet written, and closes them all. */
  flush(): Promise<void>;
  /** Open windows (for tests and the memory bound). */
  size(): number;
}

interface Window {
  host: string;
  reason: string;
  openedAt: number;
  /** Refusals since the row that opened the window, not yet in a summary row. */
  count: number;
  lastClientId: string;
}

export function createRefusalAudit(options: RefusalAuditOptions): RefusalAudit {
  const intervalMs = options.intervalMs ?? DEFAULT_REFUSAL_AUDIT_INTERVAL_MS;
  const maxKeys = options.maxKeys ?? DEFAULT_REFUSAL_AUDIT_MAX_KEYS;
  if (!(intervalMs > 0 && Number.isSafeInteger(maxKeys) && maxKeys > 0)) {
    throw new TypeError('invalid refusal audit limits');
  }
  // Map order is opening order: the oldest window comes first.
  const windows = new Map<string, Window>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function write(event: Omit<AuditEvent, 'at'>): Promise<void> {
    try {
      await options.audit(event);
    } catch {
      // The audit function logs what it cannot store; a refusal must not fail on its audit.
    }
  }

  function summary(window: Window, now: number): Omit<AuditEvent, 'at'> {
    return {
      type: 'cimd.refused',
      reason: window.reason,
      detail: {
        host: window.host,
        aggregated: true,
        count: window.count,
        since: window.openedAt,
        until: now,
        last_client_id: window.lastClientId.slice(0, 200),
      },
    };
  }

  async function close(key: string, window: Window, now: number): Promise<void> {
    windows.delete(key);
    if (window.count > 0) await write(summary(window, now));
  }

  /** Closes windows older than the interval, oldest first; stops at the first younger one. */
  async function closeExpired(now: number): Promise<void> {
    for (const [key, window] of windows) {
      if (now - window.openedAt < intervalMs) break;
      await close(key, window, now);
    }
  }

  function schedule(): void {
    if (timer !== undefined) return;
    // The summary of a burst that stops is written within an interval even if no refusal follows.
    // Real time, not the injected clock: the clock only dates the rows.
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, intervalMs);
    timer.unref?.();
  }

  async function flush(): Promise<void> {
    const now = options.clock();
    for (const [key, window] of [...windows]) await close(key, window, now);
  }

  async function record(clientId: string, host: string, reason: string): Promise<void> {
    const now = options.clock();
    const logger = options.logger;
    if (logger !== undefined && logger.isLevelEnabled?.('debug') !== false) {
      logger.debug({ clientId: clientId.slice(0, 200), host, reason }, 'cimd.refused');
    }
    let key = `${host}\n${reason}`;
    let window = windows.get(key);
    if (window !== undefined && now - window.openedAt >= intervalMs) {
      await close(key, window, now);
      window = undefined;
    }
    if (window === undefined && windows.size >= maxKeys) {
      await closeExpired(now);
      if (windows.size >= maxKeys) {
        // Bounded memory and bounded writes whatever the number of hosts: the rest is counted here.
        key = `${OVERFLOW_HOST}\n${reason}`;
        window = windows.get(key);
      }
    }
    if (window !== undefined) {
      window.count++;
      window.lastClientId = clientId;
      schedule();
      return;
    }
    const opened: Window = {
      host: key.slice(0, key.indexOf('\n')),
      reason,
      openedAt: now,
      count: 0,
      lastClientId: clientId,
    };
    windows.set(key, opened);
    await write({
      type: 'cimd.refused',
      clientId,
      reason,
      detail: { host: opened.host, aggregated: false, interval_ms: intervalMs },
    });
  }

  return { record, flush, size: () => windows.size };
}
