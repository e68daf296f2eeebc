/**
 * The last 24 hours as the overview draws them (issue #15, decision 0040): tokens issued and
 * refusals per hour, refusals by reason, and the recent document changes and drift alerts. Counted
 * from the audit log through the audit query (the one `gatehouse audit` reads), not from a counter
 * table of its own: the audit log already holds every `token.issued` and every refusal with its
 * reason, and every instance writes it. The read is bounded (`MAX_EVENTS`): a busier day is
 * counted from its newest events and the page says so.
 */
import type { AuditQuery } from '../audit/audit-query.ts';
import type { AuditEvent } from '../store/store.ts';

export const MAX_EVENTS = 20_000;
const HOUR_MS = 60 * 60 * 1000;
const DRIFT_TYPES = new Set(['client.document_changed', 'client.drift_suspected', 'client.held']);

export interface DayActivity {
  /** 24 hours, oldest first: the hour's start and its counts. */
  hours: { start: number; issued: number; refused: number }[];
  /** Refusal reasons, most frequent first. */
  reasons: { reason: string; count: number }[];
  /** Document changes, drift alerts and holds, newest first (at most 20). */
  documentEvents: AuditEvent[];
  /** How many events were read; `partial` when the bound cut the day short. */
  read: number;
  partial: boolean;
}

/**
 * Whether an audit event records a refusal: a stable reason on an event whose type says something
 * was refused (`client.refused`, `cimd.refused`, `login.failed`, `login.throttled`,
 * `client.registration_rate_limited`, `code.reused`, `refresh_token.key_mismatch`…). Other events
 * carry reasons too (a document change's `cosmetic`, a refresh's `changed`, report-only mode's
 * `governance.would_refuse`): those are not refusals.
 */
const REFUSAL_TYPE = /(?:refused|failed|throttled|rate_limited|reused|mismatch)$/;

export function isRefusal(event: Pick<AuditEvent, 'type' | 'reason'>): boolean {
  return event.reason !== undefined && REFUSAL_TYPE.test(event.type);
}

/** Counts one day of events (newest first, as the query streams them). Pure: tested on its own. */
export function countDay(events: Iterable<AuditEvent>, now: number): Omit<DayActivity, 'read' | 'partial'> {
  const firstHour = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const hours = Array.from({ length: 24 }, (_, index) => ({
    start: firstHour + index * HOUR_MS,
    issued: 0,
    refused: 0,
  }));
  const reasons = new Map<string, number>();
  const documentEvents: AuditEvent[] = [];
  for (const event of events) {
    const slot = hours[Math.floor((event.at - firstHour) / HOUR_MS)];
    if (event.type === 'token.issued' && slot !== undefined) slot.issued++;
    if (isRefusal(event)) {
      if (slot !== undefined) slot.refused++;
      reasons.set(event.reason!, (reasons.get(event.reason!) ?? 0) + 1);
    }
    if (DRIFT_TYPES.has(event.type) && documentEvents.length < 20) documentEvents.push(event);
  }
  return {
    hours,
    reasons: [...reasons]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    documentEvents,
  };
}

export async function dayActivity(auditLog: AuditQuery, now: number): Promise<DayActivity> {
  const since = new Date(Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS).toISOString();
  const events: AuditEvent[] = [];
  for await (const event of auditLog.stream(await auditLog.filter({ since }), { limit: MAX_EVENTS }))
    events.push(event);
  return { ...countDay(events, now), read: events.length, partial: events.length >= MAX_EVENTS };
}
