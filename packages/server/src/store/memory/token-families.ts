import type { TokenFamilyRecord, TokenFamilyStore } from '../token-family-store.ts';
import { compare, copy, copyOf, type MemoryState, revokeFamily } from './state.ts';

/**
 * Stores a new family (TokenFamilyStore.create), shared with the code exchange: throws when the id
 * is a family already, and fills in a tombstone, keeping it revoked, when a revocation came first
 * (a reused code seen before the winner wrote its family).
 */
export function insertFamily(
  { families, familyTombstones }: Pick<MemoryState, 'families' | 'familyTombstones'>,
  family: TokenFamilyRecord,
): void {
  if (families.has(family.id)) throw new Error(`token family ${family.id} already exists`);
  const stored = copy(family);
  const tombstone = familyTombstones.get(family.id);
  if (tombstone !== undefined) {
    stored.revokedAt = tombstone.revokedAt;
    stored.revokedReason = tombstone.revokedReason;
    familyTombstones.delete(family.id);
  }
  families.set(family.id, stored);
}

export function memoryTokenFamilyStore(state: MemoryState): TokenFamilyStore {
  const { families, familyTombstones } = state;
  return {
    async create(family) {
      insertFamily(state, family);
    },
    async get(id) {
      return copyOf(families.get(id));
    },
    async revoke(id, reason, now) {
      const family = families.get(id);
      if (family !== undefined) revokeFamily(family, reason, now);
      else if (!familyTombstones.has(id)) familyTombstones.set(id, { revokedAt: now, revokedReason: reason });
    },
    async revokeByClient(clientId, reason, now) {
      let revoked = 0;
      for (const family of families.values()) {
        if (family.clientId === clientId && revokeFamily(family, reason, now)) revoked++;
      }
      return revoked;
    },
    async revokeClientTokens(clientId, until, expiresAt) {
      const found = state.clientTokenRevocations.get(clientId);
      state.clientTokenRevocations.set(clientId, {
        until: Math.max(found?.until ?? until, until),
        expiresAt: Math.max(found?.expiresAt ?? expiresAt, expiresAt),
      });
    },
    async clientTokensRevokedUntil(clientId, now) {
      const found = state.clientTokenRevocations.get(clientId);
      return found !== undefined && found.expiresAt > now ? found.until : undefined;
    },
    async listByClient(clientId) {
      return [...families.values()]
        .filter((family) => family.clientId === clientId)
        .sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id))
        .map(copy);
    },
    async listByGrant(grantId) {
      return [...families.values()]
        .filter((family) => family.grantId === grantId)
        .sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id))
        .map(copy);
    },
  };
}
