import { EXPIRED_PURGE_BATCH } from '../record-rows.ts';
import type { Store } from '../store.ts';
import { memoryAdminTokenStore } from './admin-tokens.ts';
import { memoryAuditStore } from './audit.ts';
import { memoryAuthorizationCodeStore } from './authorization-codes.ts';
import { memoryAuthorizationRequestStore } from './authorization-requests.ts';
import { memoryClientChangeFeed, purgeClientChanges } from './client-changes.ts';
import { memoryClientDocumentStore } from './client-documents.ts';
import { memoryClientInventoryStore } from './client-inventory.ts';
import { memoryClientStore } from './clients.ts';
import { memoryDocumentFetchStore } from './document-fetches.ts';
import { memoryDocumentFreshnessStore } from './document-freshness.ts';
import { memoryGovernanceStore } from './governance.ts';
import { memoryGrantStore } from './grants.ts';
import { memoryInitialAccessTokenStore } from './initial-access-tokens.ts';
import { memoryRefreshTokenStore } from './refresh-tokens.ts';
import { memoryReplayStore } from './replay.ts';
import { memoryServerSecretStore } from './server-secrets.ts';
import { memorySessionStore } from './sessions.ts';
import { memorySigningKeyStore } from './signing-keys.ts';
import { createMemoryState } from './state.ts';
import { memoryTokenBucketStore } from './token-buckets.ts';
import { memoryTokenFamilyStore } from './token-families.ts';
import { memoryUserStore } from './users.ts';

/**
 * The in-memory store: for tests, examples and single-process development. Every operation runs
 * to completion without an `await` between its read and its write, which is what makes each one
 * atomic within the process (there is no other process to be atomic against). Records are deep
 * copied in and out so a caller mutating what it passed or got back never changes stored state.
 */
export function createMemoryStore(): Store {
  const state = createMemoryState();
  return {
    kind: 'memory',
    clients: memoryClientStore(state),
    clientDocuments: memoryClientDocumentStore(state),
    clientChanges: memoryClientChangeFeed(state),
    initialAccessTokens: memoryInitialAccessTokenStore(state),
    users: memoryUserStore(state),
    signingKeys: memorySigningKeyStore(state),
    serverSecrets: memoryServerSecretStore(state),
    sessions: memorySessionStore(state),
    authorizationRequests: memoryAuthorizationRequestStore(state),
    authorizationCodes: memoryAuthorizationCodeStore(state),
    grants: memoryGrantStore(state),
    tokenFamilies: memoryTokenFamilyStore(state),
    refreshTokens: memoryRefreshTokenStore(state),
    replay: memoryReplayStore(state),
    audit: memoryAuditStore(state),
    governance: memoryGovernanceStore(state),
    adminTokens: memoryAdminTokenStore(state),
    documentFetches: memoryDocumentFetchStore(),
    documentFreshness: memoryDocumentFreshnessStore(state),
    inventory: memoryClientInventoryStore(state),
    tokenBuckets: memoryTokenBucketStore(state),

    async purgeExpired(now, batch = EXPIRED_PURGE_BATCH) {
      const { sessions, requests, codes, refreshTokens, replay } = state;
      let deleted = 0;
      const purge = async <K, V>(map: Map<K, V>, expiresAt: (value: V) => number) => {
        for (const [key, value] of map) {
          if (expiresAt(value) > now) continue;
          map.delete(key);
          // Other work runs after every `batch` deletions, as on the database stores.
          if (++deleted % batch === 0) await new Promise(setImmediate);
        }
      };
      for (const map of [sessions, requests, codes, refreshTokens] as Map<string, { expiresAt: number }>[])
        await purge(map, (record) => record.expiresAt);
      await purge(replay, (expiresAt) => expiresAt);
      await purge(state.tokenBuckets, (row) => row.expiresAt);
      await purge(state.clientTokenRevocations, (row) => row.expiresAt);
      for (const key of state.rotations.keys()) if (!refreshTokens.has(key)) state.rotations.delete(key);
      for (const key of state.codeReplays.keys()) if (!codes.has(key)) state.codeReplays.delete(key);
      purgeClientChanges(state, now);
    },

    async close() {},
  };
}
