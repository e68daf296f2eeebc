import type { AdminTokenStore } from '../admin-token-store.ts';
import { copy, copyOf, insertNew, type MemoryState } from './state.ts';

export function memoryAdminTokenStore({ adminTokens }: MemoryState): AdminTokenStore {
  return {
    async insert(record) {
      for (const token of adminTokens.values())
        if (token.id === record.id) throw new Error('admin token already exists');
      insertNew(adminTokens, record.digest, record, 'admin token');
    },
    async findByDigest(digest) {
      return copyOf(adminTokens.get(digest));
    },
    async list() {
      return [...adminTokens.values()].sort((a, b) => a.createdAt - b.createdAt).map(copy);
    },
    async revoke(id, now) {
      for (const token of adminTokens.values()) {
        if (token.id !== id) continue;
        if (token.revokedAt !== undefined) return false;
        token.revokedAt = now;
        return true;
      }
      return false;
    },
  };
}
