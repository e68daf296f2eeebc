import {
  type ClientLifecycle,
  defaultReaperPolicy,
  type ReaperLogger,
  type Store,
  startReaper,
} from '@gatehouse-oauth/server';

/** How often `gatehouse serve` looks for stale registrations: often enough that they never pile up. */
const REAP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Starts the periodic reaping of stale dynamic registrations for `gatehouse serve`: never used
 * within 24 h of registering, or unused for 90 days (defaultReaperPolicy). Each reaped client goes
 * through the server's client lifecycle (`server.clients`): grants and tokens revoked, a
 * `client.removed` audit event (actor `system:reaper`) written and counted. Instances sharing a
 * store may all run it: the store deletes each client exactly once. Returns the stop function.
 */
export function startRegistrationHygiene(
  store: Store,
  logger: ReaperLogger,
  lifecycle: ClientLifecycle,
): () => void {
  return startReaper({ store, logger, lifecycle, clock: Date.now }, defaultReaperPolicy, REAP_INTERVAL_MS);
}
