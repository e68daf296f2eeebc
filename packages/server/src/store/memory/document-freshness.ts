import type { DocumentFreshness, DocumentFreshnessStore } from '../document-freshness-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryDocumentFreshnessStore({
  clients,
  documentFreshness,
}: MemoryState): DocumentFreshnessStore {
  const entry = (clientId: string): DocumentFreshness => {
    let found = documentFreshness.get(clientId);
    if (found === undefined) {
      found = { clientId };
      documentFreshness.set(clientId, found);
    }
    return found;
  };
  return {
    async get(clientId) {
      return copyOf(documentFreshness.get(clientId));
    },
    async markStale(clientId, stale) {
      const found = entry(clientId);
      if (found.stale !== undefined) return false;
      found.stale = copy(stale);
      return true;
    },
    async clearStale(clientId, confirmedAt) {
      const found = documentFreshness.get(clientId);
      if (found?.stale === undefined || found.stale.since > confirmedAt) return false;
      delete found.stale;
      return true;
    },
    async evict(clientId, at) {
      const found = entry(clientId);
      found.evictedAt = Math.max(found.evictedAt ?? at, at);
      delete found.stale;
    },
    async delete(clientId) {
      return documentFreshness.delete(clientId);
    },
    async usedClients({ since, after, limit }) {
      return [...clients.values()]
        .filter((client) => client.kind === 'cimd' && (client.lastUsedAt ?? -Infinity) >= since)
        .map((client) => client.clientId)
        .filter((clientId) => after === undefined || clientId > after)
        .sort(compare)
        .slice(0, limit);
    },
  };
}
