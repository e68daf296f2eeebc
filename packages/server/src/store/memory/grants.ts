import type { GrantRecord, GrantStore } from '../grant-store.ts';
import { mergedGrant } from '../record-rules.ts';
import { compare, copy, copyOf, type MemoryState, revokeFamily } from './state.ts';

export function memoryGrantStore({ grants, grantIdsByKey, families }: MemoryState): GrantStore {
  const grantKey = (userId: string, clientId: string, redirectUri: string) =>
    JSON.stringify([userId, clientId, redirectUri]);
  const revokeFamiliesOf = (grantId: string, reason: string, now: number) => {
    for (const family of families.values()) {
      if (family.grantId === grantId) revokeFamily(family, reason, now);
    }
  };

  return {
    async upsert(upsert) {
      const key = grantKey(upsert.userId, upsert.clientId, upsert.redirectUri);
      const existingId = grantIdsByKey.get(key);
      const existing = existingId === undefined ? undefined : grants.get(existingId);
      if (existing === undefined) {
        const { now, ...rest } = upsert;
        const grant: GrantRecord = { ...copy(rest), createdAt: now, updatedAt: now };
        grants.set(grant.id, grant);
        grantIdsByKey.set(key, grant.id);
        return copy(grant);
      }
      const merged = mergedGrant(existing, upsert);
      grants.set(merged.id, merged);
      return copy(merged);
    },
    async get(id) {
      return copyOf(grants.get(id));
    },
    async find(userId, clientId, redirectUri) {
      const id = grantIdsByKey.get(grantKey(userId, clientId, redirectUri));
      return id === undefined ? undefined : copyOf(grants.get(id));
    },
    async listByUser(userId) {
      return sortedGrants([...grants.values()].filter((grant) => grant.userId === userId));
    },
    async listByClient(clientId) {
      return sortedGrants([...grants.values()].filter((grant) => grant.clientId === clientId));
    },
    async revoke(id, reason, now) {
      const grant = grants.get(id);
      if (grant !== undefined && grant.revokedAt === undefined) grant.revokedAt = now;
      // Families are revoked even when the grant is already revoked (or gone): revoking is never undone.
      revokeFamiliesOf(id, reason, now);
    },
    async revokeByClient(clientId, reason, now) {
      let revoked = 0;
      for (const grant of grants.values()) {
        if (grant.clientId !== clientId || grant.revokedAt !== undefined) continue;
        grant.revokedAt = now;
        revoked++;
        revokeFamiliesOf(grant.id, reason, now);
      }
      return revoked;
    },
  };
}

function sortedGrants(list: GrantRecord[]): GrantRecord[] {
  return list.sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id)).map(copy);
}
