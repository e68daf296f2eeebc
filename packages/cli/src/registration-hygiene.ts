import {
  defaultReaperPolicy,
  type ReaperDeps,
  type ReaperLogger,
  type Store,
  startReaper,
} from '@gatehouse/server';

/** How often `gatehouse serve` looks for stale registrations: often enough that they never pile up. */
const REAP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Starts the periodic reaping of stale dynamic registrations for `gatehouse serve`: never used
 * within 24 h of registering, or unused for 90 days (defaultReaperPolicy). Each reaped client's
 * grants and tokens are revoked and a `client.reaped` audit event written. Instances sharing a
 * store may all run it: the store deletes each client exactly once. Returns the stop function.
 * `audit`, when given (the server's ctx.audit), also counts each reaping in the metrics.
 */
export function startRegistrationHygiene(
  store: Store,
  logger: ReaperLogger,
  audit?: ReaperDeps['audit'],
): () => void {
  return startReaper(
    {
      store,
      logger,
      clock: Date.now,
      audit: audit ?? ((event) => store.audit.append({ at: Date.now(), ...event })),
    },
    defaultReaperPolicy,
    REAP_INTERVAL_MS,
  );
}
