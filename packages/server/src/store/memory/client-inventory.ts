import { isAtprotoLoopbackClientId } from '@gatehouse-oauth/core';
import { installationsOf } from '../../grants/installation.ts';
import { clientIndexTerms } from '../client-index-terms.ts';
import type {
  ActivityKind,
  ClientInventoryStore,
  InventoryCandidates,
  InventoryQuery,
  InventoryRow,
  ReachSelection,
} from '../client-inventory-store.ts';
import type { ClientRecord } from '../client-store.ts';
import type { GrantRecord } from '../grant-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryClientInventoryStore(state: MemoryState): ClientInventoryStore {
  const { operatorFields, activity } = state.inventory;
  const lastSeen = (record: ClientRecord) =>
    activity.get(record.clientId)?.lastSeenAt ?? record.lastUsedAt ?? 0;

  const record = (clientId: string, kind: ActivityKind, at: number) => {
    const seen = activity.get(clientId) ?? { clientId, firstSeenAt: at, lastSeenAt: at };
    seen.firstSeenAt = Math.min(seen.firstSeenAt, at);
    seen.lastSeenAt = Math.max(seen.lastSeenAt, at);
    const field = (
      { authorization: 'lastAuthorizationAt', token: 'lastTokenAt', refresh: 'lastRefreshAt' } as const
    )[kind];
    seen[field] = Math.max(seen[field] ?? at, at);
    activity.set(clientId, seen);
  };

  const passes = (record: ClientRecord, query: InventoryQuery): boolean => {
    // Computed when a filter needs them (the SQL stores keep them in client_index).
    let terms: ReturnType<typeof clientIndexTerms> | undefined;
    const has = (term: string, value: string) => {
      terms ??= clientIndexTerms(record);
      return terms.some(([t, v]) => t === term && v === value);
    };
    const fields = operatorFields.get(record.clientId);
    const seen = activity.get(record.clientId)?.lastSeenAt ?? record.lastUsedAt;
    if (query.kinds !== undefined && !query.kinds.includes(record.kind)) return false;
    if (query.domain !== undefined && !has('domain', query.domain)) return false;
    if (query.softwareId !== undefined && !has('software_id', query.softwareId)) return false;
    if (query.owner !== undefined && fields?.owner !== query.owner) return false;
    if (query.label !== undefined && !(fields?.labels ?? []).includes(query.label)) return false;
    const shared = record.registration?.sharedRegistration;
    if (query.installationsOf !== undefined && shared !== query.installationsOf) return false;
    if (query.withoutInstallations === true && shared !== undefined) return false;
    if (query.seenSince !== undefined && !(seen !== undefined && seen >= query.seenSince)) return false;
    if (query.idleBefore !== undefined && !((seen ?? record.createdAt) < query.idleBefore)) return false;
    return (query.candidates ?? []).every((group) => candidate(group, record, has));
  };

  const order = (query: InventoryQuery) => {
    const key = (record: ClientRecord): number | string =>
      query.sort === 'created'
        ? record.createdAt
        : query.sort === 'last_seen'
          ? lastSeen(record)
          : record.clientId;
    // last_seen: newest first; the others ascending; the client_id breaks ties.
    const direction = query.sort === 'last_seen' ? -1 : 1;
    const byKey = (a: number | string, b: number | string) =>
      direction * (typeof a === 'number' && typeof b === 'number' ? a - b : compare(String(a), String(b)));
    return {
      sorted: (records: ClientRecord[]) =>
        records.sort((a, b) => byKey(key(a), key(b)) || compare(a.clientId, b.clientId)),
      afterCursor: (record: ClientRecord) =>
        query.after === undefined ||
        byKey(key(record), query.after.key) > 0 ||
        (byKey(key(record), query.after.key) === 0 && record.clientId > query.after.clientId),
    };
  };

  return {
    async list(query) {
      const { sorted, afterCursor } = order(query);
      const page = sorted([...state.clients.values()].filter((record) => passes(record, query)))
        .filter(afterCursor)
        .slice(0, query.limit);
      return page.map((record): InventoryRow => {
        const fields = operatorFields.get(record.clientId);
        const seen = activity.get(record.clientId);
        return {
          record: copy(record),
          ...(fields === undefined ? {} : { operator: copy(fields) }),
          ...(seen === undefined ? {} : { activity: copy(seen) }),
        };
      });
    },
    async operatorFields(clientId) {
      return copyOf(operatorFields.get(clientId));
    },
    async activity(clientId) {
      return copyOf(activity.get(clientId));
    },
    async putOperatorFields(fields) {
      const before = copyOf(operatorFields.get(fields.clientId));
      operatorFields.set(fields.clientId, copy(fields));
      return before;
    },
    async deleteOperatorFields(clientId) {
      const before = copyOf(operatorFields.get(clientId));
      operatorFields.delete(clientId);
      return before;
    },
    async recordActivity(clientId, kind, at) {
      record(clientId, kind, at);
      // An installation's use is its shared registration's too (decision 0046).
      const shared = state.clients.get(clientId)?.registration?.sharedRegistration;
      if (shared !== undefined) record(shared, kind, at);
    },
    async reach(selection, { now, issuedSince }) {
      const grants = liveGrants(state, selection);
      const grantIds = new Set(grants.map((grant) => grant.id));
      const liveFamilies = [...state.families.values()].filter(
        (family) => grantIds.has(family.grantId) && family.revokedAt === undefined && family.expiresAt > now,
      );
      const familiesOf = Map.groupBy(liveFamilies, (family) => family.grantId);
      const count = (values: string[]) => {
        const counts = new Map<string, number>();
        for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
        return [...counts].sort(([a], [b]) => compare(a, b)).map(([value, grants]) => ({ value, grants }));
      };
      const issued = state.audit
        .map((entry) => entry.event)
        .filter(
          (event) =>
            event.type === 'token.issued' &&
            ('userId' in selection
              ? event.userId === selection.userId
              : event.clientId !== undefined && selects(selection, event.clientId)),
        );
      const lastTokenAt = issued.reduce<number | undefined>(
        (latest, event) => Math.max(latest ?? 0, event.at),
        undefined,
      );
      return {
        users: new Set(grants.map((grant) => grant.userId)).size,
        clients: new Set(grants.map((grant) => grant.clientId)).size,
        grants: grants.length,
        // The derivation itself, over every live family (decision 0044); the SQL stores count the same.
        installations: new Set(
          grants.flatMap((grant) =>
            installationsOf(grant, familiesOf.get(grant.id) ?? []).map((installation) => installation.key),
          ),
        ).size,
        scopes: count(grants.flatMap((grant) => [...new Set(grant.scope)])),
        resources: count(grants.flatMap((grant) => [...new Set(grant.resources)])),
        liveFamilies: liveFamilies.length,
        tokensIssued: issuedSince.map((since) => issued.filter((event) => event.at >= since).length),
        ...(lastTokenAt === undefined ? {} : { lastTokenAt }),
      };
    },
    async connections(selection, now) {
      return liveGrants(state, selection).map((grant) => {
        const families = [...state.families.values()].filter(
          (family) => family.grantId === grant.id && family.revokedAt === undefined && family.expiresAt > now,
        );
        const lastFamilyAt = families.reduce<number | undefined>(
          (latest, family) => Math.max(latest ?? 0, family.createdAt),
          undefined,
        );
        return {
          grant: copy(grant),
          liveFamilies: families.length,
          ...(lastFamilyAt === undefined ? {} : { lastFamilyAt }),
        };
      });
    },
  };
}

/** Whether one criterion of the OR-group selects the record. */
function candidate(
  group: InventoryCandidates,
  record: ClientRecord,
  has: (term: string, value: string) => boolean,
): boolean {
  return (
    group.all ||
    group.clientIds.includes(record.clientId) ||
    group.kinds.includes(record.kind) ||
    group.terms.some(([term, value]) => has(term, value))
  );
}

function selects(selection: Exclude<ReachSelection, { userId: string }>, clientId: string): boolean {
  return (
    selection.clientIds.includes(clientId) || (selection.loopback && isAtprotoLoopbackClientId(clientId))
  );
}

/** The live grants of the selection, ordered by user, client, redirect URI (as the SQL stores). */
function liveGrants(state: MemoryState, selection: ReachSelection): GrantRecord[] {
  return [...state.grants.values()]
    .filter(
      (grant) =>
        grant.revokedAt === undefined &&
        ('userId' in selection ? grant.userId === selection.userId : selects(selection, grant.clientId)),
    )
    .sort(
      (a, b) =>
        compare(a.userId, b.userId) ||
        compare(a.clientId, b.clientId) ||
        compare(a.redirectUri, b.redirectUri),
    );
}
