/**
 * The one way a client's standing with this server ends. Every path that removes a client or
 * revokes what it holds comes through here: `gatehouse clients remove`, RFC 7592 DELETE
 * (DCR-MG-7), the reaper of stale registrations (DCR-SEC-7), the document change policy on a
 * downgrade (CIMD-CHG-1), the AT Protocol key re-check (AT-9) and, with governance, the admin API.
 * So each ends in the same state, audited once with who did it:
 *
 * - `remove`: the record and its document versions are deleted, every grant and token family is
 *   revoked (so users must consent again, and no refresh token or access token of it passes
 *   introspection), unredeemed codes and pending or pushed authorization requests are deleted, and
 *   every instance drops what it holds in memory for the client (the change feed). A removed CIMD
 *   client may come back by its next request: it is then a new client, discovered again.
 * - `revokeAll`: the same cascade without deleting the client (its document stays cached).
 * - `revokeFamily`: one session (token family) ends; the key re-check's step.
 * - `revokeGrant`: one connection ends: a user's grant to one installation of a client, with its
 *   sessions (the inventory's connections and a user's blast radius, issue #14).
 * - `revokeInstallation`: one machine's sessions under a grant end (issue #17 item 3,
 *   grants/installation.ts); the grant goes too when no other installation holds a live session.
 *
 * Order: the record goes first, so no new token is minted for a client being removed; revocations
 * follow and are idempotent, so a removal interrupted half way is completed by running it again.
 * A call that finds nothing to do writes no audit event: repeating a removal changes nothing. An
 * operator's `revokeAll` is the exception: it always ends the tokens the client holds for itself
 * (client_credentials, a workload's exchange), which no count can show, so it is always audited.
 */

import { MAX_ACCESS_TOKEN_SECONDS } from '../config/lifetimes-schema.ts';
import { installationKeyOf } from '../grants/installation.ts';
import type { AuditEvent, GrantRecord, Store, TokenFamilyRecord } from '../store/store.ts';
import type { ClientMemory } from './client-memory.ts';

/** Why a client is removed; the audit event's `reason`. */
export type RemovalReason =
  /** An operator removed it (CLI, admin API, console). */
  | 'operator'
  /** The client deleted its own registration (RFC 7592 §2.3). */
  | 'client_request'
  /** The reaper: a registration never used (DCR-SEC-7). */
  | 'never_used'
  /** The reaper: a registration idle too long (DCR-SEC-7). */
  | 'idle';

/** Why every grant of a client is revoked; the audit event's `reason`. */
export type RevocationReason =
  | 'operator'
  | 'client_document_downgraded'
  /** An operator's block rule selects the client (governance/governance-admin.ts). */
  | 'client_blocked';

/** The reason written on each revoked grant and token family (what introspection logs and tests read). */
const FAMILY_REASON: Record<RemovalReason | RevocationReason, string> = {
  operator: 'client_removed',
  client_request: 'client_deleted',
  never_used: 'client_reaped',
  idle: 'client_reaped',
  client_document_downgraded: 'client_document_downgraded',
  client_blocked: 'client_blocked',
};

export interface LifecycleAction<Reason extends string> {
  /** Who: `cli:<os user>`, `client:<client_id>`, `system:<job>`, `admin-token:<id>`, `console:<user>`. */
  actor: string;
  reason: Reason;
  /** Added to the audit event's detail (e.g. a document digest). */
  detail?: Record<string, unknown>;
}

/** What a cascade did; every count is of what this call changed, 0 when it was already so. */
export interface CascadeResult {
  grantsRevoked: number;
  familiesRevoked: number;
  codesDeleted: number;
  requestsDeleted: number;
}

export interface RemovalResult extends CascadeResult {
  /** Whether a client record existed (and this call deleted it). */
  existed: boolean;
  documentVersionsDeleted: number;
}

export interface ClientLifecycle {
  remove(
    clientId: string,
    action: LifecycleAction<RemovalReason> & {
      /** The caller already deleted the record atomically (the reaper's store step). */
      recordDeleted?: boolean;
    },
  ): Promise<RemovalResult>;
  revokeAll(clientId: string, action: LifecycleAction<RevocationReason>): Promise<CascadeResult>;
  /** Ends one session; returns whether this call revoked it (false: already revoked). */
  revokeFamily(family: TokenFamilyRecord, action: LifecycleAction<string>): Promise<boolean>;
  /**
   * Ends one grant and every session under it (its families carry `grant_revoked`); the user must
   * consent again. Returns whether this call revoked it (false: already revoked).
   */
  revokeGrant(grant: GrantRecord, action: LifecycleAction<'operator'>): Promise<boolean>;
  /**
   * Ends the live sessions of one installation of a grant (`installationKeyOf`), leaving the other
   * installations' sessions working; when none of them holds a live session, the grant is revoked
   * too, so that machine must be consented again like a new one. `undefined` when the grant holds no
   * such installation (the key of a grant without sessions is `installationKeyOf(grant)`).
   */
  revokeInstallation(
    grant: GrantRecord,
    installationKey: string,
    action: LifecycleAction<'operator' | 'user'>,
  ): Promise<InstallationRevocation | undefined>;
  /**
   * An installation registration left the shared record `sharedClientId` (deleted, or moved to a
   * registration of its own by an RFC 7592 update): the shared record is removed too, with the
   * action's actor and reason, when it is one made for installations only and none is left
   * (decision 0046). Returns whether it was removed.
   */
  installationLeft(
    sharedClientId: string,
    installationId: string,
    action: LifecycleAction<RemovalReason>,
  ): Promise<boolean>;
}

/** What `revokeInstallation` did. */
export interface InstallationRevocation {
  familiesRevoked: number;
  /** Whether the grant was revoked with it (no other installation held a live session). */
  grantRevoked: boolean;
}

export interface ClientLifecycleDeps {
  store: Pick<
    Store,
    | 'clients'
    | 'clientDocuments'
    | 'documentFetches'
    | 'clientChanges'
    | 'grants'
    | 'tokenFamilies'
    | 'authorizationCodes'
    | 'authorizationRequests'
    | 'documentFreshness'
  >;
  clock: () => number;
  /** The audit sink (a server's audits log, counts and stores; the CLI's stores). */
  audit(event: Omit<AuditEvent, 'at'>): Promise<void>;
  /**
   * What this process holds in memory for clients, forgotten at once on removal. Other instances
   * (and this one again) forget when they read the change feed (client-change-listener.ts).
   */
  memory?: ClientMemory;
}

export function createClientLifecycle(deps: ClientLifecycleDeps): ClientLifecycle {
  const { store } = deps;

  async function cascade(clientId: string, familyReason: string, now: number): Promise<CascadeResult> {
    // Families first, so the count is of every live session, under a grant or not; the grants
    // then (revoking a grant revokes its families again, idempotently). Codes and requests after.
    const familiesRevoked = await store.tokenFamilies.revokeByClient(clientId, familyReason, now);
    const grantsRevoked = await store.grants.revokeByClient(clientId, familyReason, now);
    const codesDeleted = await store.authorizationCodes.deleteByClient(clientId);
    const requestsDeleted = await store.authorizationRequests.deleteByClient(clientId);
    // The tokens it holds for itself have no family (tokens/client-token.ts): those issued until now end.
    await store.tokenFamilies.revokeClientTokens(clientId, now, now + MAX_ACCESS_TOKEN_SECONDS * 1000);
    return { grantsRevoked, familiesRevoked, codesDeleted, requestsDeleted };
  }

  const lifecycle: ClientLifecycle = {
    async remove(clientId, action) {
      const { actor, reason, detail, recordDeleted = false } = action;
      const now = deps.clock();
      // Read first for its shared-registration links (decision 0046); the reaper's records are gone.
      const record = recordDeleted ? undefined : await store.clients.get(clientId);
      const existed = (await store.clients.delete(clientId)) || recordDeleted;
      const counts = await cascade(clientId, FAMILY_REASON[reason], now);
      const documentVersionsDeleted = await store.clientDocuments.deleteByClient(clientId);
      // Its fetch log goes with its versions (issue #14): nothing of a removed client is kept.
      await store.documentFetches.deleteByClient(clientId);
      // Its eviction and stale-if-error marks go too: a client discovered again starts clean.
      await store.documentFreshness.delete(clientId);
      deps.memory?.forget(clientId);
      const result: RemovalResult = { existed, ...counts, documentVersionsDeleted };
      if (!changedAnything(result)) return result;
      await store.clientChanges.publish({ clientId, kind: 'removed', at: now });
      await deps.audit({
        type: 'client.removed',
        clientId,
        actor,
        reason,
        detail: { ...detail, ...auditCounts(result) },
      });
      const shared = record?.registration?.sharedRegistration;
      if (shared !== undefined) {
        await lifecycle.installationLeft(shared, clientId, { actor, reason });
      } else if (record?.registration?.fingerprint !== undefined) {
        // A shared record goes with its installations: the operator removed the software. The
        // record is gone first, so a registration racing this one makes a new shared record
        // (putInstallation refuses this one) and is not removed here.
        for (const installation of await store.clients.listInstallations(clientId)) {
          await lifecycle.remove(installation, { actor, reason, detail: { shared_registration: clientId } });
        }
      }
      return result;
    },

    async installationLeft(sharedClientId, installationId, action) {
      const shared = await store.clients.get(sharedClientId);
      // A shared record from before decision 0046 is used by its registrants' flows: it stays.
      if (shared?.registration?.installationsOnly !== true) return false;
      if (!(await store.clients.deleteUnlessInstallations(sharedClientId))) return false;
      await lifecycle.remove(sharedClientId, {
        ...action,
        recordDeleted: true,
        detail: { ...action.detail, last_installation: installationId },
      });
      return true;
    },

    async revokeAll(clientId, { actor, reason, detail }) {
      const now = deps.clock();
      const counts = await cascade(clientId, FAMILY_REASON[reason], now);
      // An operator's "revoke all" always changes something: the tokens the client holds for
      // itself, which are not counted (none is stored), end with it. So it is always audited.
      if (reason === 'operator' || changedAnything(counts)) {
        await deps.audit({
          type: 'client.revoked',
          clientId,
          actor,
          reason,
          detail: {
            ...detail,
            ...auditCounts(counts),
            client_tokens_revoked_until: new Date(now).toISOString(),
          },
        });
      }
      // A shared registration's sessions are its installations' (decision 0046): "revoke all" of
      // the software reaches each of them, as removing it does; the counts are the sum.
      for (const installation of await store.clients.listInstallations(clientId)) {
        const more = await lifecycle.revokeAll(installation, {
          actor,
          reason,
          detail: { ...detail, shared_registration: clientId },
        });
        counts.grantsRevoked += more.grantsRevoked;
        counts.familiesRevoked += more.familiesRevoked;
        counts.codesDeleted += more.codesDeleted;
        counts.requestsDeleted += more.requestsDeleted;
      }
      return counts;
    },

    async revokeFamily(family, { actor, reason, detail }) {
      if (family.revokedAt !== undefined) return false;
      await store.tokenFamilies.revoke(family.id, reason, deps.clock());
      await deps.audit({
        type: 'token_family.revoked',
        clientId: family.clientId,
        userId: family.userId,
        actor,
        reason,
        detail: { family_id: family.id, ...detail },
      });
      return true;
    },

    async revokeGrant(grant, { actor, reason, detail }) {
      if (grant.revokedAt !== undefined) return false;
      await store.grants.revoke(grant.id, 'grant_revoked', deps.clock());
      await deps.audit({
        type: 'grant.revoked',
        clientId: grant.clientId,
        userId: grant.userId,
        actor,
        reason,
        detail: { grant_id: grant.id, redirect_uri: grant.redirectUri, ...detail },
      });
      return true;
    },

    async revokeInstallation(grant, installationKey, { actor, reason, detail }) {
      const now = deps.clock();
      const live = (await store.tokenFamilies.listByGrant(grant.id)).filter(
        (family) => family.revokedAt === undefined && family.expiresAt > now,
      );
      const mine = live.filter((family) => installationKeyOf(grant, family) === installationKey);
      // A grant without live sessions is one installation, keyed without a family.
      const bare = live.length === 0 && installationKey === installationKeyOf(grant);
      if (grant.revokedAt !== undefined || (mine.length === 0 && !bare)) return undefined;
      for (const family of mine) await store.tokenFamilies.revoke(family.id, 'installation_revoked', now);
      // The last installation leaving ends the consent, as revoking the connection would. A sign-in
      // of another machine landing between the read above and this revocation ends with it.
      const grantRevoked = mine.length === live.length;
      if (grantRevoked) await store.grants.revoke(grant.id, 'installation_revoked', now);
      await deps.audit({
        type: 'installation.revoked',
        clientId: grant.clientId,
        userId: grant.userId,
        actor,
        reason,
        detail: {
          grant_id: grant.id,
          redirect_uri: grant.redirectUri,
          installation: installationKey,
          families_revoked: mine.length,
          grant_revoked: grantRevoked,
          ...detail,
        },
      });
      return { familiesRevoked: mine.length, grantRevoked };
    },
  };
  return lifecycle;
}

function changedAnything(result: CascadeResult & { existed?: boolean; documentVersionsDeleted?: number }) {
  return (
    result.existed === true ||
    result.grantsRevoked + result.familiesRevoked + result.codesDeleted + result.requestsDeleted > 0 ||
    (result.documentVersionsDeleted ?? 0) > 0
  );
}

/** The audit detail's counts, in the wire style of every other audit detail (snake_case). */
function auditCounts(result: CascadeResult & { documentVersionsDeleted?: number }) {
  return {
    grants_revoked: result.grantsRevoked,
    families_revoked: result.familiesRevoked,
    codes_deleted: result.codesDeleted,
    requests_deleted: result.requestsDeleted,
    ...(result.documentVersionsDeleted === undefined
      ? {}
      : { document_versions_deleted: result.documentVersionsDeleted }),
  };
}
