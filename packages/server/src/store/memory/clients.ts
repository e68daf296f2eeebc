import type { ClientRecord, ClientStore } from '../client-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryClientStore({ clients }: MemoryState): ClientStore {
  const installationsOf = (sharedClientId: string) =>
    [...clients.values()]
      .filter((client) => client.registration?.sharedRegistration === sharedClientId)
      .map((client) => client.clientId)
      .sort(compare);
  const hasInstallations = (clientId: string) => installationsOf(clientId).length > 0;
  const newestWith = (fingerprint: string): ClientRecord | undefined => {
    let found: ClientRecord | undefined;
    for (const client of clients.values()) {
      if (client.registration?.fingerprint !== fingerprint) continue;
      if (found === undefined || client.createdAt > found.createdAt) found = client;
    }
    return found;
  };
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
      return copyOf(newestWith(fingerprint));
    },
    async putShared(record) {
      const found = newestWith(record.registration.fingerprint);
      if (found !== undefined) return copy(found);
      clients.set(record.clientId, copy(record));
      return copy(record);
    },
    async touch(clientId, now) {
      const client = clients.get(clientId);
      if (client !== undefined) client.lastUsedAt = now;
    },
    async reapRegistrations({ neverUsedCreatedBefore, idleSince, limit }) {
      const reaped: string[] = [];
      // Chosen on the state before the pass, as the SQL stores' one statement does.
      const named = new Set([...clients.values()].map((client) => client.registration?.sharedRegistration));
      for (const client of [...clients.values()].sort((a, b) => a.createdAt - b.createdAt)) {
        if (reaped.length >= limit) break;
        if (client.kind !== 'dcr' || named.has(client.clientId)) continue;
        const unused = client.lastUsedAt === undefined && client.createdAt < neverUsedCreatedBefore;
        const idle = client.lastUsedAt !== undefined && client.lastUsedAt < idleSince;
        if (unused || idle) {
          clients.delete(client.clientId);
          reaped.push(client.clientId);
        }
      }
      return reaped;
    },
    async listInstallations(sharedClientId, options = {}) {
      const { after, limit } = options;
      return installationsOf(sharedClientId)
        .filter((clientId) => after === undefined || clientId > after)
        .slice(0, limit ?? Number.POSITIVE_INFINITY);
    },
    // Memory calls do not interleave between awaits, so check and write are one step here.
    async putInstallation(record) {
      if (!clients.has(record.registration.sharedRegistration)) return false;
      clients.set(record.clientId, copy(record));
      return true;
    },
    async deleteUnlessInstallations(clientId) {
      if (hasInstallations(clientId)) return false;
      return clients.delete(clientId);
    },
  };
}
