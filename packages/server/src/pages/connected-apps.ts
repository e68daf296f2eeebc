/**
 * Connected apps (issue #15 item 2, AT-14): what one user allowed, one entry per installation of a
 * client (decision 0006), with what the page shows about each, and the revocation of one
 * installation through the one client lifecycle (clients/client-lifecycle.ts).
 */
import { isAtprotoLoopbackClientId, type TrustTier } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { tierPolicyOf } from '../governance/tier-policy.ts';
import { type GrantInstallation, installationsOf } from '../grants/installation.ts';
import type { GrantRecord } from '../store/store.ts';
import { describeScopes } from './scope-wording.ts';

export type ConnectedAppsDeps = Pick<
  ServerContext,
  'store' | 'clock' | 'governance' | 'resources' | 'profile' | 'clientLifecycle'
>;

export interface ConnectedApp {
  /** The installation key (installationKeyOf): what the Revoke button names. */
  key: string;
  clientId: string;
  /** The verified part of the identity: a URL client_id's host; absent for other client_ids. */
  clientHost?: string | undefined;
  /** The client's own `client_name`: a claim, labelled as one. */
  clientName?: string | undefined;
  /** Where this installation's answers go: the registered redirect URI of its grant. */
  redirectUri: string;
  tier?: TrustTier | undefined;
  scopes: { scope: string; description?: string | undefined }[];
  resources: { uri: string; name?: string | undefined }[];
  connectedAt: number;
  lastUsedAt?: number | undefined;
  liveSessions: number;
}

/** The user's live connections, one entry per installation (grants/installation.ts), newest use first. */
export async function connectedAppsOf(deps: ConnectedAppsDeps, userId: string): Promise<ConnectedApp[]> {
  const now = deps.clock();
  const apps: ConnectedApp[] = [];
  for (const { grant } of await deps.store.inventory.connections({ userId }, now)) {
    for (const installation of await installationsOfGrant(deps, grant, now)) {
      apps.push(await appOf(deps, grant, installation));
    }
  }
  return apps.sort((a, b) => (b.lastUsedAt ?? b.connectedAt) - (a.lastUsedAt ?? a.connectedAt));
}

/** A grant's installations by its live sessions; a grant with none is one installation. */
async function installationsOfGrant(deps: ConnectedAppsDeps, grant: GrantRecord, now: number) {
  const live = (await deps.store.tokenFamilies.listByGrant(grant.id)).filter(
    (family) => family.revokedAt === undefined && family.expiresAt > now,
  );
  return installationsOf(grant, live);
}

async function appOf(
  deps: ConnectedAppsDeps,
  grant: GrantRecord,
  installation: GrantInstallation,
): Promise<ConnectedApp> {
  // The stored record only: listing a user's apps never fetches a client's document.
  const client = isAtprotoLoopbackClientId(grant.clientId)
    ? undefined
    : await deps.store.clients.get(grant.clientId);
  const tier = client === undefined ? undefined : (await tierPolicyOf(deps, client)).tier;
  const words = await describeScopes(deps, grant.scope, grant.resources);
  const used = installation.families.map((family) => family.createdAt);
  return {
    key: installation.key,
    clientId: grant.clientId,
    // The host is verified only for a document client (CIMD-UI-2): its client_id is that URL.
    clientHost: client?.kind === 'cimd' ? urlHost(grant.clientId) : undefined,
    clientName: client?.metadata.client_name,
    redirectUri: grant.redirectUri,
    tier: tier ?? (isAtprotoLoopbackClientId(grant.clientId) ? 'local' : undefined),
    scopes: grant.scope.map((name) => ({ scope: name, description: words[name] })),
    resources: grant.resources.map((uri) => ({ uri, name: deps.resources.byUri.get(uri)?.name })),
    connectedAt: grant.createdAt,
    lastUsedAt: used.length === 0 ? undefined : Math.max(...used),
    liveSessions: installation.families.length,
  };
}

/**
 * Ends one installation of the user's (its sessions; the grant too when no other installation of it
 * holds one) through the lifecycle (audited `installation.revoked`, actor `user:<name>`, reason
 * `user`). Another user's grants are never selected: only this user's connections are read.
 * Returns the installation as it was, or undefined when the user has none with that key.
 */
export async function revokeInstallation(
  deps: ConnectedAppsDeps,
  user: { id: string; username: string },
  key: string,
): Promise<ConnectedApp | undefined> {
  const now = deps.clock();
  for (const { grant } of await deps.store.inventory.connections({ userId: user.id }, now)) {
    const installation = (await installationsOfGrant(deps, grant, now)).find((one) => one.key === key);
    if (installation === undefined) continue;
    const app = await appOf(deps, grant, installation);
    await deps.clientLifecycle.revokeInstallation(grant, key, {
      actor: `user:${user.username}`,
      reason: 'user',
    });
    return app;
  }
  return undefined;
}

function urlHost(clientId: string): string | undefined {
  try {
    return new URL(clientId).host;
  } catch {
    return undefined;
  }
}
