import {
  type AuthorizationServer,
  type ReaperLogger,
  type Store,
  startAuditRetention,
} from '@gatehouse-oauth/server';

/** How often `gatehouse serve` purges: retention is counted in days, an hour late is nothing. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Starts the audit retention for `gatehouse serve` (`audit.retention_days`; 0: nothing runs): at
 * start, then hourly, events older than the retention are deleted in batches and the purge is
 * audited once with its count (`audit.purged`, actor `system:audit-retention`) through the
 * server's audit, so it is logged and counted like every event. Instances sharing a store may all
 * run it: each event is deleted once. Returns the stop function.
 */
export function startAuditRetentionJob(
  store: Store,
  logger: ReaperLogger,
  server: Pick<AuthorizationServer, 'audit'>,
  retentionDays: number,
): () => void {
  return startAuditRetention(
    { store: store.audit, audit: server.audit, clock: Date.now, logger },
    { retentionDays },
    PURGE_INTERVAL_MS,
  );
}
