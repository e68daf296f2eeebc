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

    async purgeExpired(now) {
      const { sessions, requests, codes, refreshTokens, replay } = state;
      for (const map of [sessions, requests, codes, refreshTokens]) {
        for (const [key, record] of map) if (record.expiresAt <= now) map.delete(key);
      }
      for (const [key, expiresAt] of replay) if (expiresAt <= now) replay.delete(key);
      for (const key of state.rotations.keys()) if (!refreshTokens.has(key)) state.rotations.delete(key);
      for (const key of state.codeReplays.keys()) if (!codes.has(key)) state.codeReplays.delete(key);
      purgeClientChanges(state, now);
      for (const [key, row] of state.tokenBuckets) if (row.expiresAt <= now) state.tokenBuckets.delete(key);
      for (const [key, row] of state.clientTokenRevocations)
        if (row.expiresAt <= now) state.clientTokenRevocations.delete(key);
    },

    async close() {},
  };
}
