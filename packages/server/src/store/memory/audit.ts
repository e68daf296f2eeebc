import type { AuditEvent, AuditStore } from '../audit-store.ts';
import { copy, type MemoryState } from './state.ts';

export function memoryAuditStore({ audit }: MemoryState): AuditStore {
  return {
    async append(event) {
      audit.push(copy(event));
    },
    async list(options = {}) {
      const { limit, type, clientId, userId, actor } = options;
      const found: AuditEvent[] = [];
      // Walking backwards gives insertion order newest first; the stable sort then orders by `at`.
      for (let index = audit.length - 1; index >= 0; index--) {
        const event = audit[index]!;
        if (type !== undefined && event.type !== type) continue;
        if (clientId !== undefined && event.clientId !== clientId) continue;
        if (userId !== undefined && event.userId !== userId) continue;
        if (actor !== undefined && event.actor !== actor) continue;
        found.push(event);
      }
      return found
        .sort((a, b) => b.at - a.at)
        .slice(0, limit ?? Number.POSITIVE_INFINITY)
        .map(copy);
    },
  };
}
