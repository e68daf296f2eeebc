import type { ClientDocumentStore, ClientDocumentVersion } from '../client-document-store.ts';
import { copy, type MemoryState } from './state.ts';

export function memoryClientDocumentStore({ clientDocuments }: MemoryState): ClientDocumentStore {
  return {
    async record(version, now) {
      const versions = clientDocuments.get(version.clientId) ?? [];
      const latest = versions.at(-1);
      if (latest !== undefined && latest.digest === version.digest) {
        latest.lastSeenAt = now;
        latest.headers = { ...version.headers };
        return { changed: false, current: copy(latest) };
      }
      const current: ClientDocumentVersion = { ...copy(version), lastSeenAt: now };
      versions.push(current);
      clientDocuments.set(version.clientId, versions);
      return latest === undefined
        ? { changed: true, current: copy(current) }
        : { changed: true, current: copy(current), previous: copy(latest) };
    },
    async latest(clientId) {
      const latest = clientDocuments.get(clientId)?.at(-1);
      return latest === undefined ? undefined : copy(latest);
    },
    async history(clientId, limit) {
      const versions = [...(clientDocuments.get(clientId) ?? [])].reverse();
      return copy(limit === undefined ? versions : versions.slice(0, limit));
    },
    async deleteByClient(clientId) {
      const count = clientDocuments.get(clientId)?.length ?? 0;
      clientDocuments.delete(clientId);
      return count;
    },
  };
}
