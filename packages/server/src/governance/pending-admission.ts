/**
 * Where a `pending` client stops (issue #13). The resolver already refused blocked clients and,
 * in `allowlist` mode, clients not admitted (admission.ts); a pending one reaches the endpoints,
 * because the user must be told (the waiting page) and the attempt recorded as an access request
 * for the operator. No code and no token is issued to it: the interaction shows the waiting page,
 * `prompt=none` answers `access_denied`, the token endpoint refuses every grant.
 *
 * In `report-only` mode the decision is audited (`governance.would_refuse`) and nothing is refused.
 */
import { type AdmissionDecision, isOAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientResolver } from '../clients/client-resolver.ts';
import type { ClientRecord } from '../store/store.ts';
import type { ClientGovernance } from './client-governance.ts';
import { decisionOf } from './tier-policy.ts';

export interface PendingAdmissionDeps {
  governance: ClientGovernance;
  audit: Audit;
}

/**
 * The decision when it holds the client back now (an enforced `pending`); undefined when the
 * client may go on. `where` names the step for the report-only audit.
 */
export async function enforcedPending(
  deps: PendingAdmissionDeps,
  client: ClientRecord,
  where: string,
  userId?: string,
): Promise<AdmissionDecision | undefined> {
  const decision = await decisionOf(deps, client);
  if (decision.refusal !== 'client_pending') return undefined;
  if (deps.governance.mode !== 'report-only') return decision;
  await deps.audit({
    type: 'governance.would_refuse',
    clientId: client.clientId,
    ...(userId === undefined ? {} : { userId }),
    reason: 'client_pending',
    detail: { stage: where, tier: decision.tier, why: decision.reasons },
  });
  return undefined;
}

/**
 * Whether the tokens of a client still count (introspection, RFC 7662 §2.2): not when the operator
 * blocked it, did not admit it, or it awaits approval (a held client included). Only governance
 * decides here: a document that cannot be fetched right now does not turn tokens inactive.
 */
export async function clientTokensCount(
  deps: PendingAdmissionDeps & { clients: Pick<ClientResolver, 'resolve'> },
  clientId: string,
): Promise<boolean> {
  let client: ClientRecord | undefined;
  try {
    client = await deps.clients.resolve(clientId);
  } catch (error) {
    if (isOAuthError(error) && (error.reason === 'client_blocked' || error.reason === 'client_not_admitted'))
      return false;
    return true;
  }
  if (client === undefined) return true;
  return (await enforcedPending(deps, client, 'introspection')) === undefined;
}
