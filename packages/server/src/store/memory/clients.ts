import type { ClientRecord, ClientStore } from '../client-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryClientStore({ clients }: MemoryState): ClientStore {
  return {
    async get(clientId) {
      return copyOf(clients.get(clientId));
    },
    async put(record) {
      clients.set(record.clientId, copy(record));
    },
    async delete(clientId) {
      return clients.delete(clientId);
    },
    async list(options = {}) {
      const { after, limit } = options;
      return [...clients.values()]
        .filter((client) => after === undefined || client.clientId > after)
        .sort((a, b) => compare(a.clientId, b.clientId))
        .slice(0, limit ?? Number.POSITIVE_INFINITY)
        .map(copy);
    },
    async findByFingerprint(fingerprint) {
      let found: ClientRecord | undefined;
      for (const client of clients.values()) {
        if (client.registration?.fingerprint !== fingerprint) continue;
        if (found === undefined || client.createdAt > found.createdAt) found = client;
      }
      return copyOf(found);
    },
    async touch(clientId, now) {
      const client = clients.get(clientId);
      if (client !== undefined) client.lastUsedAt = now;
    },
    async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
      const reaped: string[] = [];
      for (const client of [...clients.values()].sort((a, b) => a.createdAt - b.createdAt)) {
        if (reaped.length >= limit) break;
        if (client.kind !== 'dcr') continue;
        const unused = client.lastUsedAt === undefined && client.createdAt < neverUsedCreatedBefore;
        const idle = client.lastUsedAt !== undefined && client.lastUsedAt < idleSince;
        if (unused || idle) {
          clients.delete(client.clientId);
          reaped.push(client.clientId);
        }
      }
      return reaped;
    },
  };
}
