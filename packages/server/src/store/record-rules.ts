/**
 * Rules of the store contracts that every backend applies to records it has read, the same way:
 * kept here once so the memory, SQLite and PostgreSQL stores cannot drift apart.
 */
import type { GrantRecord, GrantUpsert } from './grant-store.ts';

/**
 * GrantStore.upsert on the installation's existing grant: a live grant widens (step-up); a revoked
 * one is replaced, so nothing revoked comes back. The result is live, with the existing id.
 */
export function mergedGrant(existing: GrantRecord, upsert: GrantUpsert): GrantRecord {
  const { revokedAt, ...kept } = existing;
  const live = revokedAt === undefined;
  return {
    ...kept,
    scope: live ? union(kept.scope, upsert.scope) : [...upsert.scope],
    resources: live ? union(kept.resources, upsert.resources) : [...upsert.resources],
    updatedAt: upsert.now,
  };
}

/** GrantStore.upsert: a live grant widens to the union (step-up adds, it never narrows). */
function union(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}

/** RefreshTokenStore.rotate: a used token is re-presented in grace only when there is a grace window at all. */
export function withinGrace(usedAt: number, now: number, graceMs: number): boolean {
  return graceMs > 0 && usedAt >= now - graceMs;
}
