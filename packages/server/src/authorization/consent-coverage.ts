import { isSubset } from '@gatehouse-oauth/core';
import type { TierPolicy } from '../config/governance-schema.ts';

/**
 * Whether an existing grant answers a request without asking the user: it covers the scopes and
 * resources, it was given after the client last changed what it may do (a CIMD document change
 * that holds or downgrades the client moves its `updatedAt`, see cimd/document-change.ts), and
 * the client's trust tier remembers consent at all (issue #13: `consent: every-time`, the default
 * of the `local` tier, asks at every authorization, and `prompt=none` then answers
 * `consent_required`).
 */
export function covers(
  grant: { scope: string[]; resources: string[]; updatedAt: number },
  client: { updatedAt: number },
  wanted: { scope: readonly string[]; resources: readonly string[] },
  tier: { policy: Pick<TierPolicy, 'consent'> },
): boolean {
  return (
    tier.policy.consent === 'remembered' &&
    grant.updatedAt >= client.updatedAt &&
    isSubset(wanted.scope, grant.scope) &&
    isSubset(wanted.resources, grant.resources)
  );
}
