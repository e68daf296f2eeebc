/**
 * Connections (issue #14, item 7): what a user allowed which client, per installation (a grant,
 * decision 0006), with the sessions each holds; and who allowed a client. Readable by the operator
 * (the admin API, the console) and, later, by the user on a "connected apps" page; each revocable
 * through the one client lifecycle (`revokeGrant`: the grant and every session under it, audited
 * `grant.revoked` with the actor). Under a grant, the machines holding sessions are its
 * installations (grants/installation.ts, issue #17 item 3), each revocable alone
 * (`revokeInstallation`, audited `installation.revoked`).
 */
import { isAtprotoLoopbackClientId, OAuthError } from '@gatehouse-oauth/core';
import type { ClientLifecycle, InstallationRevocation } from '../clients/client-lifecycle.ts';
import { installationsOf } from '../grants/installation.ts';
import type { Connection, GrantRecord, ReachSelection, Store } from '../store/store.ts';
import { LOOPBACK_ENTRY_ID } from './inventory-entry.ts';

export interface ConnectionView {
  grantId: string;
  userId: string;
  username?: string | undefined;
  clientId: string;
  /** The client's own `client_name` (a claim), when it has one. */
  clientName?: string | undefined;
  /** The installation: the registered redirect URI the grant is for. */
  redirectUri: string;
  scope: string[];
  resources: string[];
  createdAt: number;
  updatedAt: number;
  /** Token families of the grant neither revoked nor expired. */
  liveSessions: number;
  lastSessionAt?: number | undefined;
  /** The machines holding the grant's live sessions (grants/installation.ts), oldest first. */
  installations: InstallationView[];
}

/** One installation under a grant: `key` is what `revokeInstallation` takes. */
export interface InstallationView {
  key: string;
  /** The DPoP key (RFC 7638 thumbprint) that tells this installation apart, when one does. */
  dpopJkt?: string | undefined;
  liveSessions: number;
  lastSessionAt?: number | undefined;
}

export interface ConnectionsOf {
  /** The user (`ofUser`), resolved from a username or a user id. */
  userId?: string | undefined;
  username?: string | undefined;
  /** The client (`ofClient`). */
  clientId?: string | undefined;
  connections: ConnectionView[];
}

export interface ClientConnections {
  /** A user's live grants, per client and installation; `user_not_found` when unknown. */
  ofUser(user: string): Promise<ConnectionsOf>;
  /** A client's live grants, per user (`http://localhost`: every AT Protocol loopback client). */
  ofClient(clientId: string): Promise<ConnectionsOf>;
  /**
   * Revokes one grant and its sessions; answers it as it was (its `liveSessions`: the sessions this
   * ended). `grant_not_found` when there is no live grant with that id.
   */
  revoke(grantId: string, options: { actor: string }): Promise<ConnectionView>;
  /**
   * Revokes one installation of a grant (its live sessions; the grant too when it was the last);
   * `grant_not_found` / `installation_not_found` when there is no such live grant or installation.
   */
  revokeInstallation(
    grantId: string,
    installationKey: string,
    options: { actor: string; reason?: 'operator' | 'user' },
  ): Promise<InstallationRevocation & { grantId: string; installation: string }>;
}

export interface ConnectionsDeps {
  store: Pick<Store, 'inventory' | 'clients' | 'grants' | 'users' | 'tokenFamilies'>;
  lifecycle: Pick<ClientLifecycle, 'revokeGrant' | 'revokeInstallation'>;
  clock: () => number;
}

/** A user named by username, else by id; `undefined` when neither is known and no grant has that id. */
export async function resolveUser(
  store: ConnectionsDeps['store'],
  user: string,
  now: number,
): Promise<{ userId: string; username?: string | undefined } | undefined> {
  const byName = await store.users.findByUsername(user);
  if (byName !== undefined) return { userId: byName.id, username: byName.username };
  const byId = await store.users.get(user);
  if (byId !== undefined) return { userId: byId.id, username: byId.username };
  // Accounts may live in the embedding application (docs/extension-points.md): a user id with
  // live grants is a user.
  const held = await store.inventory.connections({ userId: user }, now);
  return held.length > 0 ? { userId: user } : undefined;
}

/** No such client in the inventory: 404, as the admin API's other client operations answer. */
export function clientNotFound(clientId: string): OAuthError {
  return new OAuthError('invalid_request', {
    status: 404,
    reason: 'client_not_found',
    description: `no client ${clientId.slice(0, 2048)} in the inventory`,
  });
}

export function userNotFound(user: string): OAuthError {
  return new OAuthError('invalid_request', {
    status: 404,
    reason: 'user_not_found',
    description: `no user ${user.slice(0, 200)} (by username or id), and no grant of such a user id`,
  });
}

/** The selection of a client_id: `http://localhost` stands for every loopback client_id. */
export function selectionOf(clientId: string): ReachSelection {
  return clientId === LOOPBACK_ENTRY_ID
    ? { clientIds: [], loopback: true }
    : { clientIds: [clientId], loopback: false };
}

export function createConnections(deps: ConnectionsDeps): ClientConnections {
  const { store, clock } = deps;

  async function views(connections: Connection[]): Promise<ConnectionView[]> {
    const names = new Map<string, string | undefined>();
    const users = new Map<string, string | undefined>();
    for (const { grant } of connections) {
      if (!names.has(grant.clientId))
        names.set(
          grant.clientId,
          isAtprotoLoopbackClientId(grant.clientId)
            ? undefined
            : (await store.clients.get(grant.clientId))?.metadata.client_name,
        );
      if (!users.has(grant.userId)) users.set(grant.userId, (await store.users.get(grant.userId))?.username);
    }
    const installations = new Map<string, InstallationView[]>();
    for (const { grant } of connections) installations.set(grant.id, await installationViews(grant));
    return connections.map(({ grant, liveFamilies, lastFamilyAt }) =>
      definedOnly({
        grantId: grant.id,
        userId: grant.userId,
        username: users.get(grant.userId),
        clientId: grant.clientId,
        clientName: names.get(grant.clientId),
        redirectUri: grant.redirectUri,
        scope: [...grant.scope],
        resources: [...grant.resources],
        createdAt: grant.createdAt,
        updatedAt: grant.updatedAt,
        liveSessions: liveFamilies,
        lastSessionAt: lastFamilyAt,
        installations: installations.get(grant.id) ?? [],
      }),
    );
  }

  /** The grant's installations by its live sessions; a grant with none is one installation. */
  async function installationViews(grant: GrantRecord): Promise<InstallationView[]> {
    const now = clock();
    const live = (await store.tokenFamilies.listByGrant(grant.id)).filter(
      (family) => family.revokedAt === undefined && family.expiresAt > now,
    );
    return installationsOf(grant, live).map(({ key, dpopJkt, families }) =>
      definedOnly({
        key,
        dpopJkt,
        liveSessions: families.length,
        lastSessionAt: families.length === 0 ? undefined : Math.max(...families.map((f) => f.createdAt)),
      }),
    );
  }

  return {
    async ofUser(user) {
      const now = clock();
      const found = await resolveUser(store, user, now);
      if (found === undefined) throw userNotFound(user);
      const connections = await store.inventory.connections({ userId: found.userId }, now);
      return definedOnly({ ...found, connections: await views(connections) });
    },

    async ofClient(clientId) {
      const known = isAtprotoLoopbackClientId(clientId) || (await store.clients.get(clientId)) !== undefined;
      if (!known) throw clientNotFound(clientId);
      const connections = await store.inventory.connections(selectionOf(clientId), clock());
      return { clientId, connections: await views(connections) };
    },

    async revoke(grantId, { actor }) {
      const grant = await store.grants.get(grantId);
      const live =
        grant === undefined || grant.revokedAt !== undefined
          ? []
          : (await store.inventory.connections({ userId: grant.userId }, clock())).filter(
              (connection) => connection.grant.id === grantId,
            );
      const [view] = await views(live);
      if (grant === undefined || view === undefined) throw grantNotFound(grantId);
      await deps.lifecycle.revokeGrant(grant, { actor, reason: 'operator' });
      return view;
    },

    async revokeInstallation(grantId, installationKey, { actor, reason = 'operator' }) {
      const grant = await store.grants.get(grantId);
      if (grant === undefined || grant.revokedAt !== undefined) throw grantNotFound(grantId);
      const done = await deps.lifecycle.revokeInstallation(grant, installationKey, { actor, reason });
      if (done === undefined)
        throw new OAuthError('invalid_request', {
          status: 404,
          reason: 'installation_not_found',
          description: `grant ${grantId.slice(0, 200)} holds no installation with that key`,
        });
      return { grantId, installation: installationKey, ...done };
    },
  };
}

function grantNotFound(grantId: string): OAuthError {
  return new OAuthError('invalid_request', {
    status: 404,
    reason: 'grant_not_found',
    description: `no live grant ${grantId.slice(0, 200)}`,
  });
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
