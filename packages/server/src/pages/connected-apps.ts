/**
 * Connected apps (issue #15 item 2, AT-14): what one user allowed, one entry per installation of a
 * client (decision 0006), with what the page shows about each, and the revocation of one
 * installation through the one client lifecycle (clients/client-lifecycle.ts).
 */
import { isAtprotoLoopbackClientId, type TrustTier } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { tierPolicyOf } from '../governance/tier-policy.ts';
import type { Connection, GrantRecord } from '../store/store.ts';
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

/**
 * Which installation a grant belongs to: today a grant is keyed by client and registered redirect
 * URI (decision 0006), so that pair is the key. The one place that says so: a finer key (a DPoP
 * key, a refresh family) changes only this function, and every grant with the same key is listed
 * and revoked together.
 */
export function installationKeyOf(grant: Pick<GrantRecord, 'clientId' | 'redirectUri'>): string {
  return `${grant.clientId} ${grant.redirectUri}`;
}

/** The user's live connections, one entry per installation, newest use first. */
export async function connectedAppsOf(deps: ConnectedAppsDeps, userId: string): Promise<ConnectedApp[]> {
  const connections = await deps.store.inventory.connections({ userId }, deps.clock());
  const byKey = new Map<string, Connection[]>();
  for (const connection of connections) {
    const key = installationKeyOf(connection.grant);
    byKey.set(key, [...(byKey.get(key) ?? []), connection]);
  }
  const apps: ConnectedApp[] = [];
  for (const [key, group] of byKey) apps.push(await appOf(deps, key, group));
  return apps.sort((a, b) => (b.lastUsedAt ?? b.connectedAt) - (a.lastUsedAt ?? a.connectedAt));
}

async function appOf(deps: ConnectedAppsDeps, key: string, group: Connection[]): Promise<ConnectedApp> {
  const first = group[0]!.grant;
  const scope = [...new Set(group.flatMap(({ grant }) => grant.scope))];
  const resources = [...new Set(group.flatMap(({ grant }) => grant.resources))];
  // The stored record only: listing a user's apps never fetches a client's document.
  const client = isAtprotoLoopbackClientId(first.clientId)
    ? undefined
    : await deps.store.clients.get(first.clientId);
  const tier = client === undefined ? undefined : (await tierPolicyOf(deps, client)).tier;
  const words = await describeScopes(deps, scope, resources);
  const used = group.flatMap(({ lastFamilyAt }) => (lastFamilyAt === undefined ? [] : [lastFamilyAt]));
  return {
    key,
    clientId: first.clientId,
    // The host is verified only for a document client (CIMD-UI-2): its client_id is that URL.
    clientHost: client?.kind === 'cimd' ? urlHost(first.clientId) : undefined,
    clientName: client?.metadata.client_name,
    redirectUri: first.redirectUri,
    tier: tier ?? (isAtprotoLoopbackClientId(first.clientId) ? 'local' : undefined),
    scopes: scope.map((name) => ({ scope: name, description: words[name] })),
    resources: resources.map((uri) => ({ uri, name: deps.resources.byUri.get(uri)?.name })),
    connectedAt: Math.min(...group.map(({ grant }) => grant.createdAt)),
    lastUsedAt: used.length === 0 ? undefined : Math.max(...used),
    liveSessions: group.reduce((sum, { liveFamilies }) => sum + liveFamilies, 0),
  };
}

/**
 * Ends one installation of the user's: every live grant of theirs with that key, each with its
 * sessions, through the lifecycle (audited `grant.revoked`, actor `user:<name>`, reason `user_revoked`).
 * Another user's grants are never selected: only this user's connections are read. Returns the
 * installation as it was, or undefined when the user has no live grant with that key.
 */
export async function revokeInstallation(
  deps: ConnectedAppsDeps,
  user: { id: string; username: string },
  key: string,
): Promise<ConnectedApp | undefined> {
  const app = (await connectedAppsOf(deps, user.id)).find((candidate) => candidate.key === key);
  if (app === undefined) return undefined;
  for (const grant of await deps.store.grants.listByUser(user.id)) {
    if (grant.revokedAt !== undefined || installationKeyOf(grant) !== key) continue;
    await deps.clientLifecycle.revokeGrant(grant, { actor: `user:${user.username}`, reason: 'user_revoked' });
  }
  return app;
}

function urlHost(clientId: string): string | undefined {
  try {
    return new URL(clientId).host;
  } catch {
    return undefined;
  }
}
