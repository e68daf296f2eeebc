/**
 * What an inventory listing asks for (issue #14): the filters an operator types (`gatehouse clients
 * list --kind … --state … --tier … --domain … --idle-days …`, the admin API's query), checked once
 * for every surface, and the opaque cursor of a page. A filter that cannot be read is refused with
 * `invalid_inventory_query` (docs/errors.md), never silently dropped: a typo in `--state` would
 * otherwise list every client as if it matched.
 */
import {
  APPROVAL_STATES,
  type ApprovalState,
  CLIENT_KINDS,
  type GovernedClientKind,
  OAuthError,
  TRUST_TIERS,
  type TrustTier,
} from '@gatehouse-oauth/core';
import type { InventoryCursor, InventorySort } from '../store/store.ts';

export const INVENTORY_SORTS: readonly InventorySort[] = ['client_id', 'created', 'last_seen'];
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A listing's filters, as typed (strings from a command line or a query string are checked here). */
export interface InventoryFilter {
  kind?: string | undefined;
  state?: string | undefined;
  tier?: string | undefined;
  /** A host or a parent domain: CIMD clients by their client_id host, others by their redirect hosts. */
  domain?: string | undefined;
  softwareId?: string | undefined;
  owner?: string | undefined;
  label?: string | undefined;
  /** Last seen at or after (epoch ms). */
  seenSince?: number | undefined;
  /** Not seen for this many days (never seen: since it was recorded). */
  idleDays?: number | undefined;
  sort?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  /**
   * Only the installation registrations of this shared registration (decision 0046). Without it a
   * listing leaves installation registrations out: each is counted under its shared record.
   */
  installationsOf?: string | undefined;
}

/** The filters, checked. */
export interface CheckedFilter {
  kind?: GovernedClientKind | undefined;
  state?: ApprovalState | undefined;
  tier?: TrustTier | undefined;
  domain?: string | undefined;
  softwareId?: string | undefined;
  owner?: string | undefined;
  label?: string | undefined;
  seenSince?: number | undefined;
  idleBefore?: number | undefined;
  sort: InventorySort;
  after?: InventoryCursor | undefined;
  limit: number;
  installationsOf?: string | undefined;
}

export function checkFilter(filter: InventoryFilter, now: number): CheckedFilter {
  const sort = oneOf('sort', filter.sort, INVENTORY_SORTS) ?? 'client_id';
  const limit = filter.limit ?? DEFAULT_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw invalidQuery(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  const idleDays = filter.idleDays;
  if (idleDays !== undefined && !(Number.isSafeInteger(idleDays) && idleDays >= 0))
    throw invalidQuery('idle days must be a whole number of days, 0 or more');
  if (filter.seenSince !== undefined && !Number.isSafeInteger(filter.seenSince))
    throw invalidQuery('seen since must be a time');
  return {
    kind: oneOf('kind', filter.kind, CLIENT_KINDS),
    state: oneOf('state', filter.state, APPROVAL_STATES),
    tier: oneOf('tier', filter.tier, TRUST_TIERS),
    domain: text('domain', filter.domain)?.toLowerCase().replace(/\.$/, ''),
    softwareId: text('software_id', filter.softwareId),
    owner: text('owner', filter.owner),
    label: text('label', filter.label),
    seenSince: filter.seenSince,
    idleBefore: idleDays === undefined ? undefined : now - idleDays * DAY_MS,
    sort,
    after: filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, sort),
    limit,
    installationsOf: text('installations_of', filter.installationsOf),
  };
}

/** The cursor after `cursor` for `sort`: opaque to callers (base64url JSON), checked when read back. */
export function encodeCursor(sort: InventorySort, cursor: InventoryCursor): string {
  return Buffer.from(JSON.stringify([sort, cursor.key, cursor.clientId])).toString('base64url');
}

function decodeCursor(encoded: string, sort: InventorySort): InventoryCursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw invalidQuery('the cursor is not one this server gave');
  }
  if (!Array.isArray(decoded) || decoded.length !== 3)
    throw invalidQuery('the cursor is not one this server gave');
  const [cursorSort, key, clientId] = decoded as unknown[];
  if (cursorSort !== sort) throw invalidQuery(`the cursor belongs to another sort (${String(cursorSort)})`);
  const keyType = sort === 'client_id' ? 'string' : 'number';
  if (typeof key !== keyType || typeof clientId !== 'string')
    throw invalidQuery('the cursor is not one this server gave');
  return { key: key as string | number, clientId };
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalidQuery(`${name} must be one of ${allowed.join(', ')}, not ${value.slice(0, 40)}`);
}

function text(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > 2048) throw invalidQuery(`${name} must be 1 to 2048 characters`);
  return value;
}

export function invalidQuery(description: string): OAuthError {
  return new OAuthError('invalid_request', { reason: 'invalid_inventory_query', description });
}
