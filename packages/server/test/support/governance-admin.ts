/**
 * What the governance admin tests (governance-admin-*.test.ts, issue #13) share: a memory store with
 * the one client lifecycle and the governance admin over it, CIMD clients, live grants and token
 * families, and the shape of a refusal.
 */

import assert from 'node:assert/strict';
import { isOAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../../src/audit/audit-trail.ts';
import { createClientLifecycle } from '../../src/clients/client-lifecycle.ts';
import type { GovernanceConfig } from '../../src/config/governance-schema.ts';
import { createGovernanceAdmin } from '../../src/governance/governance-admin.ts';
import { createMemoryStore } from '../../src/store/memory/memory-store.ts';
import type { ClientRecord, Store } from '../../src/store/store.ts';

export const T = Date.UTC(2026, 10, 23, 12, 0, 0);
export const ACTOR = 'cli:operator';
export const CIMD_A = 'https://app.example.com/oauth/client.json';
export const CIMD_B = 'https://tools.sub.example.com/client.json';
export const CIMD_OTHER = 'https://other.example.net/client.json';

export function setup(
  options: { fileRules?: GovernanceConfig['rules']; mode?: GovernanceConfig['mode'] } = {},
) {
  const store = createMemoryStore();
  let now = T;
  const clock = () => now;
  const audit: Audit = (event) => store.audit.append({ at: clock(), ...event });
  const lifecycle = createClientLifecycle({ store, clock, audit });
  let reloads = 0;
  const admin = createGovernanceAdmin({
    store,
    lifecycle,
    audit,
    clock,
    fileRules: options.fileRules ?? [],
    mode: options.mode ?? 'open',
    reload: async () => {
      reloads++;
    },
  });
  return {
    store,
    admin,
    advance: (ms: number) => {
      now += ms;
    },
    reloads: () => reloads,
    /** The governance changes published on the feed, oldest first. */
    changes: async () =>
      (await store.clientChanges.since(0, 100)).filter((change) => change.kind === 'governance'),
    events: async () => (await store.audit.list()).filter((event) => event.type.startsWith('governance.')),
  };
}

export function cimdClient(clientId: string, extra: Partial<ClientRecord['metadata']> = {}): ClientRecord {
  return {
    clientId,
    kind: 'cimd',
    metadata: {
      client_id: clientId,
      redirect_uris: ['https://app.example.com/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...extra,
    },
    createdAt: T,
    updatedAt: T,
  };
}

/** A live grant and token family of `clientId`, as a redemption leaves them. */
export async function grantFor(store: Store, clientId: string, userId = 'user-1') {
  const grant = await store.grants.upsert({
    id: `grant-${clientId}-${userId}`,
    userId,
    clientId,
    redirectUri: 'https://app.example.com/callback',
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.com'],
    now: T,
  });
  await store.tokenFamilies.create({
    id: `family-${clientId}-${userId}`,
    grantId: grant.id,
    clientId,
    userId,
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.com'],
    authTime: T,
    createdAt: T,
    expiresAt: T + 86_400_000,
  });
}

export async function live(store: Store, clientId: string) {
  const grants = (await store.grants.listByClient(clientId)).filter((grant) => grant.revokedAt === undefined);
  const families = await store.tokenFamilies.listByClient(clientId);
  return {
    grants: grants.length,
    families: families.filter((family) => family.revokedAt === undefined).length,
    familyReasons: families.map((family) => family.revokedReason),
  };
}

export function refusedWith(reason: string) {
  return (error: unknown) => {
    assert.ok(isOAuthError(error), `an OAuthError, not ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}
