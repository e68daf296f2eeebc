import type { AuditEvent, Store } from '../store/store.ts';

/**
 * A hold the server itself places on a client (issue #13; issue #14): the client goes back to
 * `pending`, with the reason, on every instance, until an operator approves it (or a block decides
 * it). Written once for every cause (a suspicious document change, cimd/document-change.ts;
 * ownership drift, cimd/ownership-drift-check.ts): the hold is stored, a `governance` change goes on
 * the client change feed (each instance reloads within one poll), this instance reloads at once, and
 * the hold is audited as `client.held`.
 */
export interface ServerHoldDeps {
  store: Pick<Store, 'governance' | 'clientChanges'>;
  /** This instance's governance, read again at once after the hold is stored. */
  governance: { reload(): Promise<void> };
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
}

export interface ServerHold {
  clientId: string;
  /** Why, in words: shown by `clients pending`, the console and the admission decision. */
  reason: string;
  at: number;
  /** `system:<job>`: who placed it. */
  actor: string;
  /** The stable reason of the `client.held` event (docs/errors.md, "Client lifecycle"). */
  auditReason: string;
  detail?: Record<string, unknown>;
}

/** A hold's reason is shown on the console and in decisions: bounded. */
export const HOLD_REASON_LENGTH = 500;

export async function placeServerHold(deps: ServerHoldDeps, hold: ServerHold): Promise<void> {
  const { clientId, at } = hold;
  await deps.store.governance.hold({ clientId, reason: hold.reason.slice(0, HOLD_REASON_LENGTH), at });
  await deps.store.clientChanges.publish({ clientId, kind: 'governance', at });
  await deps.governance.reload();
  await deps.audit({
    type: 'client.held',
    clientId,
    actor: hold.actor,
    reason: hold.auditReason,
    detail: { hold_reason: hold.reason, ...hold.detail },
  });
}
