/** One security decision, as it happened. Append-only. */
export interface AuditEvent {
  at: number;
  /** Dotted type, e.g. `token.issued`, `code.reused`, `login.failed`, `client.added`. */
  type: string;
  clientId?: string;
  userId?: string;
  /** Stable reason code, matching OAuthError.reason where there is one. */
  reason?: string;
  /**
   * Who caused it: `cli:<os user>`, `client:<client_id>` (an RFC 7592 call), `system:<job>` (the
   * reaper, the document change policy, the key re-check, the audit retention), `admin-token:<id>`
   * and `console:<user>`. Absent for decisions made on a client's or user's request (token issued,
   * login failed): the clientId and userId say who asked.
   */
  actor?: string;
  detail?: Record<string, unknown>;
}

/** Which events a query reads; every member given must match (an AND), exactly. */
export interface AuditFilter {
  type?: string;
  clientId?: string;
  userId?: string;
  actor?: string;
  /** Events at or after this time (ms). */
  since?: number;
  /** Events before this time (ms): `since` inclusive, `until` exclusive, so ranges tile. */
  until?: number;
}

/**
 * Where a page ended: the last event's time and its place in append order (the row id; the memory
 * store's sequence). Events are ordered by `at`, newest first, and among events of one millisecond
 * by append order, last appended first: that order is total, so a position names one place in it.
 */
export interface AuditPosition {
  at: number;
  seq: number;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Where to go on from, present only when more events match after this page. */
  next?: AuditPosition;
}

/**
 * Contract:
 * - `append` never loses an event it resolved for.
 * - `list` and `page` order newest first, ties (one millisecond) broken by append order, last
 *   appended first; the same events in the same order every time they are read.
 * - `page` after a position returns what follows it in that order. Walking pages from the first
 *   (no `after`) to the last (no `next`) returns every event that matched when the walk began and
 *   was not purged, exactly once, whatever is appended meanwhile: an event appended later sorts
 *   before the walk's position unless its time is older, and then it is read in a later page.
 * - `purgeBefore` deletes at most `limit` events older than `before`, oldest first, and returns
 *   how many it deleted. Instances purging at once delete each event once: their counts add up to
 *   the events deleted, so each can audit its own count.
 */
export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  list(options?: AuditFilter & { limit?: number }): Promise<AuditEvent[]>;
  page(filter: AuditFilter, options: { limit: number; after?: AuditPosition }): Promise<AuditPage>;
  purgeBefore(before: number, limit: number): Promise<number>;
}
