import type { ChangeOutcome, DocumentChange } from '@gatehouse-oauth/core';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import { placeServerHold } from '../governance/server-hold.ts';
import type { AuditEvent, Store } from '../store/store.ts';

/**
 * What a changed Client ID Metadata Document does (issue #13; CIMD §8.4, CIMD-CHG-1, CIMD-CHG-2).
 * The resolver weighs the new version field by field by the table of core's
 * document-change-policy.ts; its outcome is answered here (docs/governance.md, "Document change
 * policy"; decision 0031):
 *
 * - `hold`: the client goes back to `pending` with the reason, on every instance: the hold is
 *   stored, a `governance` change goes on the client change feed (each instance reloads within one
 *   poll) and this instance reloads at once, before the new metadata is saved, so no request here
 *   is answered from the new document while the client is not yet held. Audited `client.held`.
 * - `downgrade`: by `governance.changePolicy.downgrade`, `consent` (default) revokes every grant
 *   and token family of the client through the one lifecycle (`client_document_downgraded`), so
 *   users consent again under the weaker terms and no token given under the stronger ones lives on
 *   (a refresh token of a client that stopped authenticating would otherwise need no key);
 *   `quarantine` holds the client as above.
 * - `keep`, `cosmetic`: nothing beyond recording the version and its audit event.
 *
 * A held or downgraded client's `updatedAt` moves too, so no grant older than the change approves
 * silently once the operator releases it (authorization/consent-coverage.ts).
 */
export type DowngradeResponse = 'consent' | 'quarantine';

/** What the server does about a change: hold the client, revoke its grants, or nothing. */
export type ChangeResponse = 'hold' | 'revoke' | 'none';

export function responseTo(outcome: ChangeOutcome, downgrade: DowngradeResponse): ChangeResponse {
  if (outcome === 'hold') return 'hold';
  if (outcome === 'downgrade') return downgrade === 'quarantine' ? 'hold' : 'revoke';
  return 'none';
}

export interface DocumentChangeDeps {
  store: Pick<Store, 'governance' | 'clientChanges'>;
  clock: () => number;
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
  /** Revokes the grants of a downgraded client (`consent`). */
  lifecycle: Pick<ClientLifecycle, 'revokeAll'>;
  /** This instance's governance, read again after a hold (governance/client-governance.ts). */
  governance: { reload(): Promise<void> };
  changePolicy: { downgrade: DowngradeResponse };
}

export interface DocumentChangeInput {
  clientId: string;
  /** The new version weighed against the last (core's classifyDocumentChange). */
  change: DocumentChange;
  digest: string;
  previousDigest?: string | undefined;
  /** Saves the client with its new metadata and `updatedAt` (after a hold, before a revocation). */
  save(updatedAt: number | undefined): Promise<void>;
}

export interface HandledChange {
  response: ChangeResponse;
  familiesRevoked: number;
}

/** The actor of everything the change policy does. */
const ACTOR = 'system:document-change';

export function createDocumentChangeHandler(deps: DocumentChangeDeps) {
  async function hold(input: DocumentChangeInput, now: number): Promise<void> {
    const { clientId, change } = input;
    const why = change.findings.filter((finding) => finding.consequence === change.outcome);
    await placeServerHold(deps, {
      clientId,
      reason: `the client's metadata document changed: ${why.map((finding) => finding.reason).join('; ')}`,
      at: now,
      actor: ACTOR,
      auditReason: change.outcome === 'hold' ? 'client_document_suspicious' : 'client_document_downgraded',
      detail: changeDetail(input, change),
    });
  }

  return {
    async handle(input: DocumentChangeInput): Promise<HandledChange> {
      const now = deps.clock();
      const { change } = input;
      const response = responseTo(change.outcome, deps.changePolicy.downgrade);
      if (response === 'hold') await hold(input, now);
      await input.save(response === 'none' ? undefined : now);
      let familiesRevoked = 0;
      if (response === 'revoke') {
        // After the save: a token minted under the old metadata meanwhile is revoked as well.
        const cascade = await deps.lifecycle.revokeAll(input.clientId, {
          actor: ACTOR,
          reason: 'client_document_downgraded',
          detail: changeDetail(input, change),
        });
        familiesRevoked = cascade.familiesRevoked;
      }
      return { response, familiesRevoked };
    },
  };
}

/** The audit detail of a change, in the wire style of every other detail (snake_case). */
export function changeDetail(
  input: Pick<DocumentChangeInput, 'digest' | 'previousDigest'>,
  change: DocumentChange,
): Record<string, unknown> {
  return {
    outcome: change.outcome,
    findings: change.findings,
    digest: input.digest,
    ...(input.previousDigest === undefined ? {} : { previous_digest: input.previousDigest }),
  };
}
