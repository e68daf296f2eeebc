import type { AuditEvent, AuditFilter, AuditPosition, AuditStore } from '../audit-store.ts';
import { copy, type MemoryState } from './state.ts';

type Entry = MemoryState['audit'][number];

export function memoryAuditStore(state: MemoryState): AuditStore {
  /** The matching entries in the store's order: newest first, then last appended first. */
  const ordered = (filter: AuditFilter, after?: AuditPosition): Entry[] =>
    state.audit
      .filter(
        ({ event, seq }) =>
          matches(event, filter) && (after === undefined || follows({ at: event.at, seq }, after)),
      )
      .sort((a, b) => b.event.at - a.event.at || b.seq - a.seq);

  return {
    async append(event) {
      state.auditSeq += 1;
      state.audit.push({ seq: state.auditSeq, event: copy(event) });
    },
    async list(options = {}) {
      const { limit, ...filter } = options;
      return ordered(filter)
        .slice(0, limit ?? Number.POSITIVE_INFINITY)
        .map(({ event }) => copy(event));
    },
    async page(filter, { limit, after }) {
      // One more than asked says whether there is a next page without a second read.
      const found = ordered(filter, after).slice(0, limit + 1);
      const events = found.slice(0, limit);
      const last = events.at(-1);
      return {
        events: events.map(({ event }) => copy(event)),
        ...(found.length > limit && last !== undefined ? { next: { at: last.event.at, seq: last.seq } } : {}),
      };
    },
    async purgeBefore(before, limit) {
      const doomed = new Set(
        state.audit
          .filter(({ event }) => event.at < before)
          .sort((a, b) => a.event.at - b.event.at || a.seq - b.seq)
          .slice(0, limit)
          .map(({ seq }) => seq),
      );
      state.audit = state.audit.filter(({ seq }) => !doomed.has(seq));
      return doomed.size;
    },
  };
}

function matches(event: AuditEvent, filter: AuditFilter): boolean {
  const { type, clientId, userId, actor, since, until } = filter;
  return (
    (type === undefined || event.type === type) &&
    (clientId === undefined || event.clientId === clientId) &&
    (userId === undefined || event.userId === userId) &&
    (actor === undefined || event.actor === actor) &&
    (since === undefined || event.at >= since) &&
    (until === undefined || event.at < until)
  );
}

/** Whether `position` comes after `after` in the store's order (older, or as old and appended earlier). */
function follows(position: AuditPosition, after: AuditPosition): boolean {
  return position.at < after.at || (position.at === after.at && position.seq < after.seq);
}
