/**
 * Admission at Dynamic Client Registration (issue #13): a registration the operator's rules block
 * (`software:<software_id>`, `redirect-host:<name>`, `kind:dcr`) is refused before anything is
 * stored, and an RFC 7592 update may not turn a client into one they block. Only a block refuses a
 * registration: in `approval` and `allowlist` modes the new client exists, pending, so the operator
 * can approve it.
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientRecord } from '../store/store.ts';
import type { ClientGovernance } from './client-governance.ts';

export async function refuseBlockedRegistration(
  deps: { governance: ClientGovernance; audit: Audit },
  record: ClientRecord,
  stage: 'registration' | 'update',
): Promise<void> {
  const decision = (await deps.governance.current()).decide(record);
  if (decision.refusal !== 'client_blocked') return;
  const enforced = deps.governance.mode !== 'report-only';
  await deps.audit({
    type: enforced ? 'client.refused' : 'governance.would_refuse',
    ...(stage === 'update' ? { clientId: record.clientId } : {}),
    reason: 'client_blocked',
    detail: {
      stage,
      software_id: record.metadata.software_id,
      redirect_uris: record.metadata.redirect_uris,
      why: decision.reasons,
    },
  });
  if (!enforced) return;
  throw new OAuthError('invalid_client_metadata', {
    reason: 'client_blocked',
    description: "the server's administrator blocks clients with this software_id or redirect host",
  });
}
