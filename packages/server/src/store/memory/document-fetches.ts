import type { DocumentFetchStore, RecordedDocumentFetch } from '../document-fetch-store.ts';
import { copy } from './state.ts';

/**
 * The fetch log in memory. Nothing else in the memory store reaches into it, so it keeps its own
 * state: entries oldest first (ids ascend with them), and the first sighting of each host.
 */
export function memoryDocumentFetchStore(): DocumentFetchStore {
  let entries: RecordedDocumentFetch[] = [];
  const hosts = new Map<string, number>();
  let nextId = 1;
  return {
    async record(fetch) {
      entries.push({ ...copy(fetch), id: nextId++ });
      if (fetch.outcome !== 'accepted') return;
      const seen = hosts.get(fetch.host);
      if (seen === undefined || fetch.at < seen) hosts.set(fetch.host, fetch.at);
    },
    async list(clientId, options = {}) {
      const { limit, before } = options;
      const found: RecordedDocumentFetch[] = [];
      for (let index = entries.length - 1; index >= 0; index--) {
        if (limit !== undefined && found.length >= limit) break;
        const entry = entries[index]!;
        if (entry.clientId !== clientId || (before !== undefined && entry.id >= before)) continue;
        found.push(copy(entry));
      }
      return found;
    },
    async latest(clientId) {
      const entry = entries.findLast((candidate) => candidate.clientId === clientId);
      return entry === undefined ? undefined : copy(entry);
    },
    async hostFirstSeen(host) {
      return hosts.get(host);
    },
    async purge({ before, keepPerClient }) {
      const kept = new Map<string, number>();
      const stay: RecordedDocumentFetch[] = [];
      // Newest first, so "the newest keepPerClient of a client" is counted as they come.
      for (let index = entries.length - 1; index >= 0; index--) {
        const entry = entries[index]!;
        const count = kept.get(entry.clientId) ?? 0;
        if (entry.at < before || count >= keepPerClient) continue;
        kept.set(entry.clientId, count + 1);
        stay.push(entry);
      }
      const purged = entries.length - stay.length;
      entries = stay.reverse();
      return purged;
    },
    async deleteByClient(clientId) {
      const before = entries.length;
      entries = entries.filter((entry) => entry.clientId !== clientId);
      return before - entries.length;
    },
  };
}
