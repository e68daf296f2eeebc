/**
 * The client inventory (issue #14): every client the server knows, what it is, who answers for it,
 * what governance decides for it, when it was seen and what it reaches, for every surface at once:
 * `gatehouse clients list|show|set-owner|blast-radius`, the admin API and the console all call
 * this service (as `server.inventory`), so each filter is checked, each change audited with its
 * actor, and each figure counted, in one way.
 *
 * A listing is a keyset page. The store filters what it indexes (kind, domain, software_id, the
 * operator's owner and label, last seen); the approval state and trust tier are decided here, in
 * memory, with the governance snapshot the server decides requests with, on the clients the rules
 * could put there (governance-candidates.ts narrows them in the store first). A page whose filter
 * selects few of many candidates stops after SCAN_BUDGET clients with what it found and a cursor,
 * so no request walks the whole table at once.
 */
import { type AdmissionDecision, decideAdmission, indexRules, type RuleIndex } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { ClientGovernance, GovernanceSnapshot } from '../governance/client-governance.ts';
import { governedClientOf } from '../governance/governed-client.ts';
import type {
  ClientRecord,
  InventoryCandidates,
  InventoryCursor,
  InventoryRow,
  InventorySort,
  OperatorFields,
  Store,
} from '../store/store.ts';
import { type BlastRadius, createClientReach, type ReachTarget, type RevokedReach } from './client-reach.ts';
import {
  type ClientConnections,
  type ConnectionsOf,
  clientNotFound,
  createConnections,
} from './connections.ts';
import { documentStateOf } from './document-state.ts';
import { stateCandidates, tierCandidates } from './governance-candidates.ts';
import { type InventoryEntry, inventoryEntry, LOOPBACK_ENTRY_ID, loopbackRecord } from './inventory-entry.ts';
import { type CheckedFilter, checkFilter, encodeCursor, type InventoryFilter } from './inventory-query.ts';
import { changedFields, type OperatorFieldsChange, sameFields } from './operator-fields.ts';

/** At most this many clients are decided for one page of a state or tier filter. */
export const SCAN_BUDGET = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface InventoryPage {
  entries: InventoryEntry[];
  /** The cursor of the next page; absent on the last one. */
  next?: string | undefined;
}

/** How many installation client_ids `show` names; the listing's `installationsOf` gives them all. */
export const SHOWN_INSTALLATIONS = 20;

/** One client with its reach: what `show` answers. */
export interface InventoryDetail extends InventoryEntry {
  /**
   * A shared registration's installation registrations (decision 0046): how many, and the first
   * SHOWN_INSTALLATIONS client_ids in client_id order.
   */
  installationRegistrations?: { count: number; clientIds: string[] } | undefined;
  reach: {
    usersWithLiveGrants: number;
    installations: number;
    grants: number;
    liveFamilies: number;
    tokensIssuedLast24Hours: number;
    tokensIssuedLast7Days: number;
    lastTokenAt?: number | undefined;
  };
}

export interface OperatorFieldsResult {
  clientId: string;
  before: OperatorFields | undefined;
  after: OperatorFields | undefined;
  /** Whether anything changed (and was audited). */
  changed: boolean;
}

export interface ClientInventory {
  list(filter?: InventoryFilter): Promise<InventoryPage>;
  /** The client (`http://localhost`: every AT Protocol loopback client) with its reach; undefined when unknown. */
  show(clientId: string): Promise<InventoryDetail | undefined>;
  /** Throws `client_not_found` for a client the inventory does not list, `invalid_operator_fields`. */
  setOperatorFields(
    clientId: string,
    change: OperatorFieldsChange,
    options: { actor: string },
  ): Promise<OperatorFieldsResult>;
  /** What a client, a domain, a software_id or a user reaches (client-reach.ts). */
  reach(target: ReachTarget): Promise<BlastRadius>;
  /** Revokes it all through the client lifecycle; answers the counts before and after. */
  revokeReach(target: ReachTarget, options: { actor: string }): Promise<RevokedReach>;
  /** Grants per user and per client, and revoking one (connections.ts). */
  readonly connections: ClientConnections;
}

export interface ClientInventoryDeps {
  store: Pick<
    Store,
    | 'inventory'
    | 'clients'
    | 'grants'
    | 'users'
    | 'documentFetches'
    | 'clientDocuments'
    | 'documentFreshness'
    | 'tokenFamilies'
  >;
  governance: Pick<ClientGovernance, 'mode' | 'current'>;
  lifecycle: Pick<ClientLifecycle, 'revokeAll' | 'revokeGrant' | 'revokeInstallation'>;
  audit: Audit;
  clock: () => number;
}

export function createClientInventory(deps: ClientInventoryDeps): ClientInventory {
  const { store, clock } = deps;
  const decide = async () => decider(await deps.governance.current(), deps.governance.mode);
  const connections = createConnections(deps);
  const reach = createClientReach({ ...deps, connections, clientNotFound });

  async function list(filter: InventoryFilter = {}): Promise<InventoryPage> {
    const checked = checkFilter(filter, clock());
    const snapshot = await deps.governance.current();
    const decision = decider(snapshot, deps.governance.mode);
    const wanted = (made: AdmissionDecision) =>
      (checked.state === undefined || made.state === checked.state) &&
      (checked.tier === undefined || made.tier === checked.tier);
    const candidates: InventoryCandidates[] = [];
    if (checked.state !== undefined)
      candidates.push(stateCandidates(checked.state, snapshot.rules, snapshot.holds, deps.governance.mode));
    if (checked.tier !== undefined) candidates.push(tierCandidates(checked.tier, snapshot.rules));
    const decided = checked.state !== undefined || checked.tier !== undefined;
    const batch = decided ? Math.max(checked.limit, 250) : checked.limit;

    const found: { entry: InventoryEntry; cursor: InventoryCursor }[] = [];
    let position = checked.after;
    let exhausted = checked.kind === 'loopback';
    let scanned = 0;
    while (!exhausted && found.length < checked.limit && scanned < SCAN_BUDGET) {
      const rows = await store.inventory.list({
        kinds: checked.kind === undefined ? undefined : [checked.kind as ClientRecord['kind']],
        domain: checked.domain,
        softwareId: checked.softwareId,
        owner: checked.owner,
        label: checked.label,
        seenSince: checked.seenSince,
        idleBefore: checked.idleBefore,
        candidates,
        withoutInstallations: checked.installationsOf === undefined,
        installationsOf: checked.installationsOf,
        sort: checked.sort,
        after: position,
        limit: batch,
      });
      let consumed = 0;
      for (const row of rows) {
        consumed++;
        scanned++;
        position = cursorOf(row, checked.sort);
        const made = decision(row.record);
        if (wanted(made)) found.push({ entry: inventoryEntry(row, made), cursor: position });
        if (found.length === checked.limit) break;
      }
      exhausted = rows.length < batch && consumed === rows.length;
    }

    const loopback = await loopbackRow(checked);
    if (loopback !== undefined) {
      const made = decision(loopback.record);
      const cursor = cursorOf(loopback, checked.sort);
      const after = (a: InventoryCursor, b: InventoryCursor | undefined) =>
        b === undefined || compareCursors(checked.sort, a, b) > 0;
      if (wanted(made) && after(cursor, checked.after) && (exhausted || !after(cursor, position))) {
        found.push({ entry: inventoryEntry(loopback, made), cursor });
        found.sort((a, b) => compareCursors(checked.sort, a.cursor, b.cursor));
        if (found.length > checked.limit) {
          found.pop();
          position = found.at(-1)!.cursor;
          exhausted = false;
        }
      }
    }
    await Promise.all(found.map(({ entry }) => withDocument(entry)));
    return {
      entries: found.map(({ entry }) => entry),
      ...(exhausted || position === undefined ? {} : { next: encodeCursor(checked.sort, position) }),
    };
  }

  /** The loopback entry's row when it passes the filters the store would have applied. */
  async function loopbackRow(checked: CheckedFilter): Promise<InventoryRow | undefined> {
    if (checked.kind !== undefined && checked.kind !== 'loopback') return undefined;
    if (checked.domain !== undefined || checked.softwareId !== undefined) return undefined;
    if (checked.installationsOf !== undefined) return undefined;
    const row = await rowOf(LOOPBACK_ENTRY_ID);
    if (row?.activity === undefined) return undefined;
    const { operator, activity } = row;
    if (checked.owner !== undefined && operator?.owner !== checked.owner) return undefined;
    if (checked.label !== undefined && !(operator?.labels ?? []).includes(checked.label)) return undefined;
    if (checked.seenSince !== undefined && activity.lastSeenAt < checked.seenSince) return undefined;
    if (checked.idleBefore !== undefined && activity.lastSeenAt >= checked.idleBefore) return undefined;
    return row;
  }

  /** A document client's entry gets its document's state (the loopback client has no document). */
  async function withDocument(entry: InventoryEntry): Promise<InventoryEntry> {
    if (entry.kind === 'cimd') entry.document = await documentStateOf(store, entry.clientId);
    return entry;
  }

  /** A stored client, or the loopback entry once seen, with its fields and activity. */
  async function rowOf(clientId: string): Promise<InventoryRow | undefined> {
    const [operator, activity] = await Promise.all([
      store.inventory.operatorFields(clientId),
      store.inventory.activity(clientId),
    ]);
    const record =
      clientId === LOOPBACK_ENTRY_ID
        ? activity === undefined
          ? undefined
          : loopbackRecord(activity)
        : await store.clients.get(clientId);
    if (record === undefined) return undefined;
    return {
      record,
      ...(operator === undefined ? {} : { operator }),
      ...(activity === undefined ? {} : { activity }),
    };
  }

  return {
    list,

    async show(clientId) {
      const row = await rowOf(clientId);
      if (row === undefined) return undefined;
      const now = clock();
      const entry = await withDocument(inventoryEntry(row, (await decide())(row.record)));
      const loopback = clientId === LOOPBACK_ENTRY_ID;
      // A shared registration's reach is its installations' (decision 0046): they hold the grants.
      const installations = entry.shared === true ? await store.clients.listInstallations(clientId) : [];
      const figures = await store.inventory.reach(
        { clientIds: loopback ? [] : [clientId, ...installations], loopback },
        { now, issuedSince: [now - DAY_MS, now - 7 * DAY_MS] },
      );
      return {
        ...entry,
        ...(entry.shared === true
          ? {
              installationRegistrations: {
                count: installations.length,
                clientIds: installations.slice(0, SHOWN_INSTALLATIONS),
              },
            }
          : {}),
        reach: {
          usersWithLiveGrants: figures.users,
          installations: figures.installations,
          grants: figures.grants,
          liveFamilies: figures.liveFamilies,
          tokensIssuedLast24Hours: figures.tokensIssued[0] ?? 0,
          tokensIssuedLast7Days: figures.tokensIssued[1] ?? 0,
          ...(figures.lastTokenAt === undefined ? {} : { lastTokenAt: figures.lastTokenAt }),
        },
      };
    },

    async setOperatorFields(clientId, change, { actor }) {
      if ((await rowOf(clientId)) === undefined) throw clientNotFound(clientId);
      const current = await store.inventory.operatorFields(clientId);
      const next = changedFields(current, change, { clientId, actor, now: clock() });
      if (sameFields(current, next)) return { clientId, before: current, after: current, changed: false };
      // What the store replaced, not what was read above: another writer may have come in between.
      const before =
        next === undefined
          ? await store.inventory.deleteOperatorFields(clientId)
          : await store.inventory.putOperatorFields(next);
      await deps.audit({
        type: 'client.operator_fields_changed',
        clientId,
        actor,
        detail: { before: fieldsDetail(before), after: fieldsDetail(next) },
      });
      return { clientId, before, after: next, changed: true };
    },

    reach: (target) => reach.reach(target),
    revokeReach: (target, options) => reach.revoke(target, options),
    connections,
  };
}

export type { BlastRadius, ConnectionsOf, ReachTarget, RevokedReach };

/** Decisions made as the server makes them, without counting them as requests (no metric). */
const indexes = new WeakMap<GovernanceSnapshot, RuleIndex>();

function decider(snapshot: GovernanceSnapshot, mode: ClientGovernance['mode']) {
  let index = indexes.get(snapshot);
  if (index === undefined) {
    index = indexRules(snapshot.rules);
    indexes.set(snapshot, index);
  }
  const rules = index;
  return (record: ClientRecord): AdmissionDecision => {
    const hold = snapshot.holds.get(record.clientId);
    return decideAdmission({
      client: governedClientOf(record),
      redirectUris: record.metadata.redirect_uris ?? [],
      rules,
      mode,
      hold: hold === undefined ? undefined : { reason: hold.reason },
    });
  };
}

function cursorOf(row: InventoryRow, sort: InventorySort): InventoryCursor {
  const { record, activity } = row;
  const key =
    sort === 'client_id'
      ? record.clientId
      : sort === 'created'
        ? record.createdAt
        : (activity?.lastSeenAt ?? record.lastUsedAt ?? 0);
  return { key, clientId: record.clientId };
}

/** The store's order (client-inventory-store.ts): last seen descending, the others ascending. */
function compareCursors(sort: InventorySort, a: InventoryCursor, b: InventoryCursor): number {
  const byKey =
    typeof a.key === 'number' && typeof b.key === 'number'
      ? a.key - b.key
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0;
  const ordered = sort === 'last_seen' ? -byKey : byKey;
  return ordered !== 0 ? ordered : a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0;
}

/** The audit detail's form of the fields: `null` when there are none. */
function fieldsDetail(fields: OperatorFields | undefined): Record<string, unknown> | null {
  if (fields === undefined) return null;
  const { clientId: _, ...rest } = fields;
  return rest;
}
