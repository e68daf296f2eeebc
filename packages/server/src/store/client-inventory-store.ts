import type { ClientKind, ClientRecord } from './client-store.ts';
import type { GrantRecord } from './grant-store.ts';

/**
 * What the client inventory reads and keeps beyond the client records (issue #14): the operator's
 * fields on a client, when each client was first and last seen, and the queries the inventory,
 * the blast radius and the connections are made of (src/inventory/).
 *
 * Listing and filtering 100,000 clients must not parse 100,000 metadata documents, so the SQL
 * stores keep an index of what a client's record says that the inventory filters on (its owning
 * hosts and their parent domains, its redirect hosts, its `software_id`, whether it redirects only
 * to the user's own device: `clientIndexTerms`). The clients aggregate writes it with every
 * record it writes, in the same transaction, and deletes it with the record. A database trigger
 * notes every record written or deleted, so a record some other writer changed (a Gatehouse older
 * than the index, during an upgrade) is indexed again by the next inventory query.
 */

/** What a client was seen doing: an authorization request, a code redeemed, a refresh. */
export type ActivityKind = 'authorization' | 'token' | 'refresh';

export interface ClientActivity {
  clientId: string;
  /** The first request of the client the server recorded. */
  firstSeenAt: number;
  /** The latest of the three below. */
  lastSeenAt: number;
  lastAuthorizationAt?: number | undefined;
  lastTokenAt?: number | undefined;
  lastRefreshAt?: number | undefined;
}

/**
 * What the operator says about a client (never the client itself): who answers for it, which team,
 * how to reach them, labels to group it by, a note. Kept apart from governance rules: a rule's
 * `owner` answers for what a selector selects, these for one client.
 */
export interface OperatorFields {
  clientId: string;
  owner?: string | undefined;
  team?: string | undefined;
  contact?: string | undefined;
  /** Distinct, in the order given; empty when there are none. */
  labels: string[];
  note?: string | undefined;
  /** `cli:<user>`, `admin-token:<id>`, `console:<user>`. */
  updatedBy: string;
  updatedAt: number;
}

/**
 * The index terms of a client record: `domain` each owning host (a CIMD client's client_id host; a
 * registered client's redirect hosts) and each of its parent domains, `redirect_host` each
 * redirect host, `software_id` its software_id, `local_only` ('1') when every redirect URI reaches
 * only the user's device (the `local` tier's default).
 */
export type ClientIndexTerm =
  | 'domain'
  | 'redirect_host'
  | 'software_id'
  | 'local_only'
  /** An installation registration's shared registration (decision 0046): what a rule on it selects. */
  | 'shared_registration';

/**
 * One OR-group of the clients a governance filter may select (a state or a tier): any listed
 * client_id, any client of a listed kind, any client with one of the listed index terms. `all`:
 * no narrowing (the state or tier is what a client gets when no rule decides).
 */
export interface InventoryCandidates {
  all: boolean;
  clientIds: readonly string[];
  kinds: readonly ClientKind[];
  terms: readonly (readonly [ClientIndexTerm, string])[];
}

export type InventorySort = 'client_id' | 'created' | 'last_seen';

/** Where a page ends: the sort key of its last row, and its client_id (the tie-breaker). */
export interface InventoryCursor {
  /** The sort's value: created_at, or last seen (0: never), for `client_id` the client_id again. */
  key: number | string;
  clientId: string;
}

export interface InventoryQuery {
  kinds?: readonly ClientKind[] | undefined;
  /** An owning host or a parent domain of one (lower-case). */
  domain?: string | undefined;
  softwareId?: string | undefined;
  owner?: string | undefined;
  label?: string | undefined;
  /** Last seen at or after. */
  seenSince?: number | undefined;
  /** Last seen (or, never seen, recorded) before. */
  idleBefore?: number | undefined;
  /** Each group narrows (AND); within a group any criterion selects (OR). */
  candidates?: readonly InventoryCandidates[] | undefined;
  /**
   * Leave out installation registrations (decision 0046): the operator's listing shows a shared
   * registration once, its installations under it. A reach keeps them (it counts every copy).
   */
  withoutInstallations?: boolean | undefined;
  /** Only the installation registrations of this shared registration (decision 0046). */
  installationsOf?: string | undefined;
  sort: InventorySort;
  after?: InventoryCursor | undefined;
  limit: number;
}

export interface InventoryRow {
  record: ClientRecord;
  operator?: OperatorFields;
  activity?: ClientActivity;
}

/** Whose reach: stored clients (and every AT Protocol loopback client_id), or one user. */
export type ReachSelection = { clientIds: readonly string[]; loopback: boolean } | { userId: string };

export interface ReachFigures {
  /** Distinct users with a live grant. */
  users: number;
  /** Distinct clients with a live grant. */
  clients: number;
  /** Live grants: one per user and installation. */
  grants: number;
  /**
   * The installations the live grants hold (decision 0044, `installationCount`): a client's https
   * redirect is one; a loopback or private-use redirect one per machine (DPoP key, else live
   * family), plus one when a grant of it has no live family.
   */
  installations: number;
  /** Each scope and resource held by live grants, with how many grants hold it; by value. */
  scopes: { value: string; grants: number }[];
  resources: { value: string; grants: number }[];
  /** Token families neither revoked nor expired: sessions that can still refresh. */
  liveFamilies: number;
  /** `token.issued` audit events at or after each of `issuedSince`, in its order. */
  tokensIssued: number[];
  /** The latest `token.issued` audit event. */
  lastTokenAt?: number;
}

/** A live grant with the sessions it holds. */
export interface Connection {
  grant: GrantRecord;
  /** Its token families neither revoked nor expired. */
  liveFamilies: number;
  /** When its newest token family began (a sign-in, or a code redeemed). */
  lastFamilyAt?: number;
}

/**
 * Contract:
 * - `list` returns the stored clients that pass every filter given, in the sort's order (client_id
 *   ascending; `created`: createdAt ascending; `last_seen`: last seen descending, never seen last;
 *   then client_id ascending), after the cursor, at most `limit`, each with its operator fields
 *   and activity when there are any. Last seen is the activity's, else the record's `lastUsedAt`.
 * - `putOperatorFields` inserts or wholly replaces the fields of a client and returns those it
 *   replaced, atomically (two concurrent writers each see the other's fields or none, never a
 *   mix); `deleteOperatorFields` returns those it deleted.
 * - `recordActivity` keeps the earliest `at` as firstSeenAt and the latest per kind (and over all
 *   kinds as lastSeenAt): concurrent records are all applied, in any order. An installation
 *   registration's activity is recorded for its shared registration too, in the same statement
 *   (decision 0046): the software's one entry is seen when any copy is.
 * - `reach` and `connections` read what is live at `now`: a grant not revoked, a family neither
 *   revoked nor expired (tombstones are no families). Consistent per statement, not across them.
 * - Nothing here is purged, and removing a client leaves its operator fields and activity: they
 *   apply again if the same client_id comes back.
 */
export interface ClientInventoryStore {
  list(query: InventoryQuery): Promise<InventoryRow[]>;
  operatorFields(clientId: string): Promise<OperatorFields | undefined>;
  activity(clientId: string): Promise<ClientActivity | undefined>;
  putOperatorFields(fields: OperatorFields): Promise<OperatorFields | undefined>;
  deleteOperatorFields(clientId: string): Promise<OperatorFields | undefined>;
  recordActivity(clientId: string, kind: ActivityKind, at: number): Promise<void>;
  reach(
    selection: ReachSelection,
    options: { now: number; issuedSince: readonly number[] },
  ): Promise<ReachFigures>;
  connections(selection: ReachSelection, now: number): Promise<Connection[]>;
}
