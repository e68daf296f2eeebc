/**
 * Reaping of dynamic registrations (RFC 7591 clients; DCR-SEC-7 "MAY expire stale registrations").
 * Open registration invites records that pile up: a client that registers and never comes back, or
 * one abandoned months ago. Two rules, both on DCR clients only (static and CIMD clients are never
 * reaped):
 * - never used: no token ever issued, and registered more than `neverUsedSeconds` ago;
 * - idle: last token issued more than `idleSeconds` ago (lastUsedAt, see ../tokens/client-use.ts).
 * A reaped client is deleted with its registration access token (RFC 7592 calls then get 401, as
 * DCR-MG-8 requires on deprovisioning), and the rest goes through the one client lifecycle: every
 * grant and token family it had is revoked, so no refresh token or access token of it survives at
 * introspection, and a `client.removed` event (actor `system:reaper`) says why.
 */
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { Store } from '../store/store.ts';

export interface ReaperPolicy {
  /** Registrations never used are reaped this long after they were created. */
  neverUsedSeconds: number;
  /** Registrations not used for this long are reaped. */
  idleSeconds: number;
  /** Clients deleted per store call: bounds how long one call holds the store's write lock. */
  batch: number;
}

export const defaultReaperPolicy: ReaperPolicy = {
  neverUsedSeconds: 24 * 60 * 60,
  idleSeconds: 90 * 24 * 60 * 60,
  batch: 500,
};

/** What the reaper needs: the store's atomic reaping step, and the lifecycle for the rest. */
export interface ReaperDeps {
  store: Pick<Store, 'clients'>;
  lifecycle: Pick<ClientLifecycle, 'remove'>;
  clock(): number;
  /** Who reaps, for the audit: `system:reaper` (the timer) unless an operator ran it (`cli:<user>`). */
  actor?: string;
}

export type ReapReason = 'never_used' | 'idle';

/**
 * Reaps every registration the policy says is stale and returns how many were reaped. Deletion is
 * the store's atomic step (ClientStore.reapRegistrations), so instances reaping at the same time
 * never both handle one client. A failure revoking one client's tokens does not stop the others;
 * the failures are thrown together at the end.
 */
export async function reapRegistrations(
  deps: ReaperDeps,
  policy: Partial<ReaperPolicy> = {},
): Promise<number> {
  const { neverUsedSeconds, idleSeconds, batch } = { ...defaultReaperPolicy, ...policy };
  for (const [name, value] of Object.entries({ neverUsedSeconds, idleSeconds })) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be positive, got ${value}`);
  }
  if (!Number.isSafeInteger(batch) || batch < 1)
    throw new RangeError(`batch must be a positive integer, got ${batch}`);

  // One `now` for the whole pass, so a long pass does not move its own horizon.
  const now = deps.clock();
  // The store reaps both kinds in one call; asking for one kind at a time (the other criterion set
  // to a time no record has) is what lets the audit event say why a client was reaped.
  const never = Number.MIN_SAFE_INTEGER;
  const passes: { reason: ReapReason; neverUsedCreatedBefore: number; idleSince: number }[] = [
    { reason: 'never_used', neverUsedCreatedBefore: now - neverUsedSeconds * 1000, idleSince: never },
    { reason: 'idle', neverUsedCreatedBefore: never, idleSince: now - idleSeconds * 1000 },
  ];

  let reaped = 0;
  const failures: unknown[] = [];
  for (const { reason, neverUsedCreatedBefore, idleSince } of passes) {
    for (;;) {
      const ids = await deps.store.clients.reapRegistrations({
        neverUsedCreatedBefore,
        idleSince,
        limit: batch,
      });
      for (const clientId of ids) {
        try {
          await deps.lifecycle.remove(clientId, {
            actor: deps.actor ?? 'system:reaper',
            reason,
            recordDeleted: true,
          });
        } catch (error) {
          failures.push(error);
        }
      }
      reaped += ids.length;
      if (ids.length < batch) break;
    }
  }
  if (failures.length > 0)
    throw new AggregateError(
      failures,
      `reaped ${reaped} registrations; ${failures.length} not fully revoked`,
    );
  return reaped;
}

export interface ReaperLogger {
  error(object: object, message: string): void;
  info(object: object, message: string): void;
}

/**
 * Runs the reaper every `intervalMs` in the background and returns a function that stops it. The
 * timer is unref'd (it never keeps the process alive); errors are logged, never thrown; a pass that
 * outlasts the interval is not overlapped by the next one.
 */
export function startReaper(
  deps: ReaperDeps & { logger: ReaperLogger },
  policy: Partial<ReaperPolicy>,
  intervalMs: number,
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const count = await reapRegistrations(deps, policy);
      if (count > 0) deps.logger.info({ reaped: count }, 'reaped stale registrations');
    } catch (error) {
      deps.logger.error({ err: error }, 'registration reaper failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
