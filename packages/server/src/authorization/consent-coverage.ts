import { isSubset } from '@gatehouse-oauth/core';

/**
 * Whether an existing grant answers a request without asking the user: it covers the scopes and
 * resources, and it was given after the client last changed what it may do (a CIMD document
 * change that holds or downgrades the client moves its `updatedAt`, see cimd/document-change.ts).
 */
export function covers(
  grant: { scope: string[]; resources: string[]; updatedAt: number },
  client: { updatedAt: number },
  wanted: { scope: readonly string[]; resources: readonly string[] },
): boolean {
  return (
    grant.updatedAt >= client.updatedAt &&
    isSubset(wanted.scope, grant.scope) &&
    isSubset(wanted.resources, grant.resources)
  );
}
