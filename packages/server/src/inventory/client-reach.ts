/**
 * The blast radius (issue #14, item 4): how far a compromise of a client, of a domain (every client
 * under a host and its subdomains), of a software_id or of a user's account would reach, counted
 * from what is live now: the users with live grants, the installations, the grants, the resources
 * and scopes they hold, the live sessions (refresh token families), the access tokens issued in
 * the last hour (JWTs, verifiable until they expire: access tokens live minutes, a tier at most
 * hours), and the last use.
 *
 * Token counts and the last use are read from the `token.issued` audit events, the one record of
 * every access token issued (refresh tokens are not issued to every tier, and access tokens are
 * not stored). They cover what the audit store keeps: an audit retention shorter than the window
 * counts less.
 *
 * `revoke` is the "revoke all" of the console: the counts first, then every grant and session of
 * the selection through the one client lifecycle (per client: `revokeAll`, reason `operator`;
 * per user: `revokeGrant` of each live grant), then the counts again, all in one audit event
 * `blast_radius.revoked` with the actor. Access tokens already issued stay valid until they
 * expire unless the resource server checks revocation (decision 0033).
 */
import { isAtprotoLoopbackClientId, OAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { ReachFigures, ReachSelection, Store } from '../store/store.ts';
import { type ClientConnections, resolveUser, selectionOf, userNotFound } from './connections.ts';

const HOUR_MS = 60 * 60 * 1000;
/** How many client_ids a domain or software_id selection reads at a time. */
const PAGE = 1000;

/** Whose reach: exactly one of a client, a domain, a software_id, a user (username or id). */
export type ReachTarget =
  | { clientId: string }
  | { domain: string }
  | { softwareId: string }
  | { user: string };

export interface BlastRadius {
  target: ReachTarget;
  /** The stored clients selected (a client target: itself; a user: the clients of its live grants). */
  clients: string[];
  /** A user target, resolved. */
  userId?: string | undefined;
  username?: string | undefined;
  usersWithLiveGrants: number;
  installations: number;
  grants: number;
  resources: { value: string; grants: number }[];
  scopes: { value: string; grants: number }[];
  liveFamilies: number;
  /** `token.issued` in the last hour: access tokens that may still be valid. */
  accessTokensLastHour: number;
  lastUsedAt?: number | undefined;
  measuredAt: number;
}

export interface RevokedReach {
  before: BlastRadius;
  after: BlastRadius;
  grantsRevoked: number;
  familiesRevoked: number;
}

export interface ClientReachDeps {
  store: Pick<Store, 'inventory' | 'clients' | 'grants' | 'users' | 'tokenFamilies'>;
  lifecycle: Pick<ClientLifecycle, 'revokeAll' | 'revokeGrant'>;
  connections: ClientConnections;
  audit: Audit;
  clock: () => number;
  clientNotFound: (clientId: string) => OAuthError;
}

export function createClientReach(deps: ClientReachDeps) {
  const { store, clock } = deps;

  /** The target, checked, as a store selection with the clients and user it names. */
  async function select(target: ReachTarget, now: number) {
    const given = checkedTarget(target);
    if ('clientId' in given) {
      const { clientId } = given;
      const loopback = isAtprotoLoopbackClientId(clientId);
      if (!loopback && (await store.clients.get(clientId)) === undefined) throw deps.clientNotFound(clientId);
      // A shared registration reaches what its installations hold (decision 0046).
      const installations = loopback ? [] : await store.clients.listInstallations(clientId);
      if (installations.length === 0)
        return { target: given, selection: selectionOf(clientId), clients: [clientId] };
      const clients = [clientId, ...installations];
      return { target: given, selection: { clientIds: clients, loopback: false }, clients };
    }
    if ('user' in given) {
      const user = await resolveUser(store, given.user, now);
      if (user === undefined) throw userNotFound(given.user);
      const selection: ReachSelection = { userId: user.userId };
      const held = await store.inventory.connections(selection, now);
      const clients = [...new Set(held.map(({ grant }) => grant.clientId))];
      return { target: given, selection, clients, user };
    }
    const clients: string[] = [];
    for (let after: string | undefined; ; ) {
      const rows = await store.inventory.list({
        ...('domain' in given ? { domain: given.domain } : { softwareId: given.softwareId }),
        sort: 'client_id',
        limit: PAGE,
        ...(after === undefined ? {} : { after: { key: after, clientId: after } }),
      });
      clients.push(...rows.map((row) => row.record.clientId));
      if (rows.length < PAGE) break;
      after = clients.at(-1);
    }
    return { target: given, selection: { clientIds: clients, loopback: false }, clients };
  }

  async function reach(target: ReachTarget): Promise<BlastRadius> {
    const now = clock();
    const { target: checked, selection, clients, user } = await select(target, now);
    const figures = await store.inventory.reach(selection, { now, issuedSince: [now - HOUR_MS] });
    return radius(checked, clients, user, figures, now);
  }

  return {
    reach,

    async revoke(target: ReachTarget, { actor }: { actor: string }): Promise<RevokedReach> {
      const before = await reach(target);
      const now = clock();
      const { selection } = await select(target, now);
      let grantsRevoked = 0;
      let familiesRevoked = 0;
      if ('userId' in selection) {
        for (const { grant } of await store.inventory.connections(selection, now)) {
          if (await deps.lifecycle.revokeGrant(grant, { actor, reason: 'operator' })) grantsRevoked++;
        }
      } else {
        // The loopback entry: every loopback client_id holding a grant, each revoked as a client.
        const clientIds = selection.loopback
          ? [
              ...new Set(
                (await store.inventory.connections(selection, now)).map(({ grant }) => grant.clientId),
              ),
            ]
          : selection.clientIds;
        for (const clientId of clientIds) {
          const result = await deps.lifecycle.revokeAll(clientId, {
            actor,
            reason: 'operator',
            detail: { blast_radius: targetDetail(before.target) },
          });
          grantsRevoked += result.grantsRevoked;
          familiesRevoked += result.familiesRevoked;
        }
      }
      const after = await reach(target);
      // Per user, each grant's families went with it: counted as what is no longer live.
      if ('userId' in selection) familiesRevoked = Math.max(0, before.liveFamilies - after.liveFamilies);
      const chosen = before.target;
      await deps.audit({
        type: 'blast_radius.revoked',
        ...('clientId' in chosen ? { clientId: chosen.clientId } : {}),
        ...(before.userId === undefined ? {} : { userId: before.userId }),
        actor,
        reason: 'operator',
        detail: {
          target: targetDetail(chosen),
          clients: before.clients.length,
          before: countsDetail(before),
          grants_revoked: grantsRevoked,
          families_revoked: familiesRevoked,
        },
      });
      return { before, after, grantsRevoked, familiesRevoked };
    },
  };
}

/** Exactly one member, each 1 to 2048 characters; a domain lower-cased, without a final dot. */
function checkedTarget(target: ReachTarget): ReachTarget {
  const members = Object.entries(target).filter(([, value]) => value !== undefined);
  if (members.length !== 1)
    throw invalidTarget('name exactly one of a client, a domain, a software_id, a user');
  const [[name, value]] = members as [[string, unknown]];
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048)
    throw invalidTarget(`${name} must be 1 to 2048 characters`);
  if (name === 'domain') {
    const domain = value.toLowerCase().replace(/\.$/, '');
    if (!/^[a-z0-9.[\]:-]+$/.test(domain) || domain.startsWith('.'))
      throw invalidTarget(`domain '${value.slice(0, 80)}' is not a host name`);
    return { domain };
  }
  return target;
}

function invalidTarget(description: string): OAuthError {
  return new OAuthError('invalid_request', { reason: 'invalid_blast_radius_target', description });
}

function radius(
  target: ReachTarget,
  clients: string[],
  user: { userId: string; username?: string | undefined } | undefined,
  figures: ReachFigures,
  now: number,
): BlastRadius {
  return {
    target,
    clients,
    ...(user === undefined ? {} : { userId: user.userId }),
    ...(user?.username === undefined ? {} : { username: user.username }),
    usersWithLiveGrants: figures.users,
    installations: figures.installations,
    grants: figures.grants,
    resources: figures.resources,
    scopes: figures.scopes,
    liveFamilies: figures.liveFamilies,
    accessTokensLastHour: figures.tokensIssued[0] ?? 0,
    ...(figures.lastTokenAt === undefined ? {} : { lastUsedAt: figures.lastTokenAt }),
    measuredAt: now,
  };
}

function targetDetail(target: ReachTarget): Record<string, string> {
  if ('clientId' in target) return { client_id: target.clientId };
  if ('domain' in target) return { domain: target.domain };
  if ('softwareId' in target) return { software_id: target.softwareId };
  return { user: target.user };
}

function countsDetail(radius: BlastRadius): Record<string, number> {
  return {
    users_with_live_grants: radius.usersWithLiveGrants,
    installations: radius.installations,
    grants: radius.grants,
    live_families: radius.liveFamilies,
    access_tokens_last_hour: radius.accessTokensLastHour,
  };
}
