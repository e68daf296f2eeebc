/**
 * Rules of the store contracts that every backend applies to records it has read, the same way:
 * kept here once so the memory, SQLite and PostgreSQL stores cannot drift apart.
 */

/** GrantStore.upsert: a live grant widens to the union (step-up adds, it never narrows). */
export function union(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}

/** RefreshTokenStore.rotate: a used token is re-presented in grace only when there is a grace window at all. */
export function withinGrace(usedAt: number, now: number, graceMs: number): boolean {
  return graceMs > 0 && usedAt >= now - graceMs;
}
