/**
 * Admission (issue #13) at the client resolver, the one seam every endpoint resolves clients
 * through (docs/extension-points.md, "client resolver decorators"): a client the operator blocked,
 * or one not admitted in `allowlist` mode, is refused before anything else happens to it. For a
 * document client the client_id alone is decided first, so a `domain:` or URL-pattern block costs
 * no DNS query and no connection; the resolved client is then decided on everything it declares
 * (its redirect hosts, its software_id).
 *
 * A `pending` client is not refused here: the authorization endpoint shows the user the waiting
 * page and records the access request, and the token endpoint refuses it (grant-admission.ts).
 * In `report-only` mode nothing is refused; what would have been is audited.
 */
import { type AdmissionDecision, OAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientResolverDecorator } from '../clients/client-resolver.ts';
import { createRefusalLog } from '../rate-limit/refusal-log.ts';
import type { ClientRecord } from '../store/store.ts';
import type { ClientGovernance, GovernanceSnapshot } from './client-governance.ts';

export interface AdmissionDeps {
  governance: ClientGovernance;
  audit: Audit;
  clock: () => number;
}

/** One audit event per client and refusal a minute; the rest are counted on the next one. */
const AUDIT_WINDOW_MS = 60_000;

export function governanceAdmission(deps: AdmissionDeps): ClientResolverDecorator {
  const { governance } = deps;
  const refusals = createRefusalLog();
  const enforced = governance.mode !== 'report-only';

  /** Audits (once a window) and, when enforced, throws the refusal. */
  function refuseIfNotAdmitted(clientId: string, decision: AdmissionDecision, stage: string): void {
    const refusal = decision.refusal;
    if (refusal === undefined || refusal === 'client_pending') return;
    const noted = refusals.note(`${refusal} ${clientId}`, deps.clock(), AUDIT_WINDOW_MS);
    if (noted.audit) {
      void deps.audit({
        type: enforced ? 'client.refused' : 'governance.would_refuse',
        clientId,
        reason: refusal,
        detail: {
          stage,
          state: decision.state,
          tier: decision.tier,
          why: decision.reasons,
          ...(noted.previousWindowSuppressed > 0 ? { suppressed: noted.previousWindowSuppressed } : {}),
        },
      });
    }
    if (enforced) throw admissionError(refusal);
  }

  const decided = (snapshot: GovernanceSnapshot, client: ClientRecord | undefined) => {
    if (client === undefined) return client;
    // The snapshot keeps this decision for the record: the endpoints read the trust tier from it.
    refuseIfNotAdmitted(client.clientId, snapshot.decide(client), 'resolved');
    return client;
  };

  return (inner) => ({
    ...inner,
    async resolve(clientId) {
      const snapshot = await governance.current();
      const early = snapshot.decideBeforeFetch(clientId);
      if (early !== undefined && refusedBeforeFetch(snapshot, early))
        refuseIfNotAdmitted(clientId, early, 'before_fetch');
      const client = await inner.resolve(clientId);
      // Read again: resolving may have changed it (a document change that held the client).
      return decided(await governance.current(), client);
    },
    ...(inner.refresh === undefined
      ? {}
      : {
          async refresh(clientId: string) {
            const client = await inner.refresh!(clientId);
            return decided(await governance.current(), client);
          },
        }),
  });
}

/**
 * Whether the decision on the client_id alone already stands: a block does; so does "not
 * admitted" in allowlist mode, unless a rule on what documents declare (`redirect-host:`,
 * `software:`) could still approve the client once its document is read.
 */
function refusedBeforeFetch(snapshot: GovernanceSnapshot, decision: AdmissionDecision): boolean {
  if (decision.refusal === 'client_blocked') return true;
  return decision.refusal === 'client_not_admitted' && !snapshot.documentRulesMayApprove;
}

export function admissionError(refusal: NonNullable<AdmissionDecision['refusal']>): OAuthError {
  switch (refusal) {
    case 'client_blocked':
      return new OAuthError('invalid_client', {
        reason: 'client_blocked',
        description: "this client is blocked by the server's administrator",
      });
    case 'client_not_admitted':
      return new OAuthError('invalid_client', {
        reason: 'client_not_admitted',
        description: 'this server admits only clients its administrator approved; this one is not',
      });
    case 'client_pending':
      return new OAuthError('unauthorized_client', {
        reason: 'client_pending',
        description: "this client awaits approval by the server's administrator",
      });
  }
}
