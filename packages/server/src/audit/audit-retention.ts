/**
 * Audit retention (issue #14, item 6): events older than the retention are deleted, in batches
 * (each one store call, so a first purge of millions of rows never holds the write lock for long),
 * and the purge itself is audited once, by its count: `audit.purged`, actor
 * `system:audit-retention`. `gatehouse serve` runs it hourly (`audit.retention_days`, default 400;
 * 0 keeps everything); an embedding application calls `startAuditRetention` the same way.
 */
import type { AuditStore } from '../store/store.ts';
import type { Audit } from './audit-trail.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AuditRetentionDeps {
  store: Pick<AuditStore, 'purgeBefore'>;
  /** Where the `audit.purged` event goes: the server's audit (a log line, then the sink). */
  audit: Audit;
  clock(): number;
}

export interface AuditRetentionPolicy {
  /** Events older than this many days are deleted; 0 keeps every event. */
  retentionDays: number;
  /** Events deleted per store call. */
  batch?: number;
}

export const AUDIT_PURGE_BATCH = 1000;

/** The first instant that is kept, or undefined when everything is (0 days). */
export function auditCutoff(now: number, retentionDays: number): number | undefined {
  if (!Number.isSafeInteger(retentionDays) || retentionDays < 0)
    throw new RangeError(`retentionDays must be a whole number of days, 0 or more, got ${retentionDays}`);
  return retentionDays === 0 ? undefined : now - retentionDays * DAY_MS;
}

/**
 * Deletes every event older than the retention and returns how many this call deleted. Several
 * instances may purge at once: the store deletes each event once, and each audits its own count.
 * Nothing deleted, nothing audited: an hourly job must not fill the log it trims.
 */
export async function purgeAuditEvents(
  deps: AuditRetentionDeps,
  policy: AuditRetentionPolicy,
): Promise<number> {
  const batch = policy.batch ?? AUDIT_PURGE_BATCH;
  if (!Number.isSafeInteger(batch) || batch < 1)
    throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const cutoff = auditCutoff(deps.clock(), policy.retentionDays);
  if (cutoff === undefined) return 0;
  let deleted = 0;
  for (;;) {
    const count = await deps.store.purgeBefore(cutoff, batch);
    deleted += count;
    if (count < batch) break;
  }
  if (deleted > 0)
    await deps.audit({
      type: 'audit.purged',
      actor: 'system:audit-retention',
      detail: { deleted, before: cutoff, retention_days: policy.retentionDays },
    });
  return deleted;
}

export interface AuditRetentionLogger {
  error(object: object, message: string): void;
  info(object: object, message: string): void;
}

/**
 * Purges once now (a server restarted more often than the interval must still purge) and then
 * every `intervalMs`; returns the function that stops it. The timer is unref'd; errors are logged,
 * never thrown; a purge that outlasts the interval is not overlapped by the next. With 0 days it
 * does nothing at all.
 */
export function startAuditRetention(
  deps: AuditRetentionDeps & { logger: AuditRetentionLogger },
  policy: AuditRetentionPolicy,
  intervalMs: number,
): () => void {
  if (auditCutoff(0, policy.retentionDays) === undefined) return () => {};
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const deleted = await purgeAuditEvents(deps, policy);
      if (deleted > 0) deps.logger.info({ deleted }, 'purged audit events past their retention');
    } catch (error) {
      deps.logger.error({ err: error }, 'audit retention purge failed');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), 0);
  first.unref();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
