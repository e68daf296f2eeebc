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

/**
 * How long, and how often, a credential already exchanged (a rotated refresh token, a redeemed
 * code) may be presented again and get the same answer (decision 0036).
 */
export interface ReplayWindow {
  /** From the first exchange; 0: none, any second presentation is a reuse. */
  graceMs: number;
  /** How many second presentations within `graceMs` are answered; the rest are refused. */
  reuseCount: number;
}

/**
 * What a second presentation of a credential exchanged at `usedAt`, answered `replays` times since,
 * is: a `replay` (answered the same again, counted), `refused` (within the grace, but the count is
 * spent, or the caller's successor is not the recorded one), or a `reuse` (after the grace: theft).
 */
export function replayDecision(
  usedAt: number,
  replays: number,
  now: number,
  window: ReplayWindow,
  sameSuccessor = true,
): 'replay' | 'refused' | 'reuse' {
  if (!withinGrace(usedAt, now, window.graceMs)) return 'reuse';
  return sameSuccessor && replays < window.reuseCount ? 'replay' : 'refused';
}
