/**
 * One client as the inventory shows it (issue #14, item 1): who it is (client_id, kind, its name
 * marked as its own claim unless an operator registered it), who answers for it on the web (its
 * owning hosts, software_id) and inside the organisation (the operator's fields), what the
 * document itself lists as contacts, what governance decides for it now (state, tier, why), when
 * it was recorded and seen, and what it may reach (redirect URIs, keys by RFC 7638 thumbprint).
 *
 * The AT Protocol loopback client (AT-5) is never stored: every `http://localhost…` client_id is
 * its own virtual client. The inventory shows them as one entry, `http://localhost`, seen as
 * their activity is recorded (client-activity.ts).
 */
import {
  type AdmissionDecision,
  type ApprovalState,
  ATPROTO_LOOPBACK_CLIENT_ID,
  atprotoLoopbackClientMetadata,
  type GovernedClientKind,
  isAtprotoLoopbackClientId,
  jwkThumbprint,
  type TrustTier,
} from '@gatehouse-oauth/core';
import { governedClientOf } from '../governance/governed-client.ts';
import { hostOf } from '../store/client-index-terms.ts';
import type { ClientActivity, ClientRecord, InventoryRow, OperatorFields } from '../store/store.ts';
import type { DocumentState } from './document-state.ts';

export interface InventoryEntry {
  clientId: string;
  kind: GovernedClientKind;
  /** How it authenticates at the token endpoint (`none`: a public client). */
  tokenEndpointAuthMethod: string;
  /** `client_name`: the client's own claim, unless an operator registered it (`static`). */
  clientName?: string | undefined;
  clientNameSource?: 'self-asserted' | 'operator' | undefined;
  /** Who answers for it on the web: a CIMD client's client_id host, a registered client's redirect hosts. */
  owningHosts: string[];
  softwareId?: string | undefined;
  /** The operator's fields (operator-fields.ts). */
  operator?: Omit<OperatorFields, 'clientId'> | undefined;
  /** The document's `contacts` (its own claim). */
  contacts: string[];
  state: ApprovalState;
  tier: TrustTier;
  /** Why, in words (the admission decision's reasons). */
  reasons: string[];
  /** When the server recorded it (discovered, registered, added); the loopback client: first seen. */
  createdAt: number;
  firstSeenAt?: number | undefined;
  lastSeenAt?: number | undefined;
  lastAuthorizationAt?: number | undefined;
  lastTokenAt?: number | undefined;
  lastRefreshAt?: number | undefined;
  redirectUris: string[];
  jwksUri?: string | undefined;
  /** RFC 7638 SHA-256 thumbprints of the keys its metadata carries inline (`jwks`). */
  keyThumbprints: string[];
  /** A document client's document: last fetch, validators, freshness, stale-if-error (document-state.ts). */
  document?: DocumentState | undefined;
  /**
   * A recognised (shared) registration: the software's one entry, its installation registrations
   * listed under it (decision 0046). True only on a shared record.
   */
  shared?: boolean | undefined;
  /** An installation registration: the client_id of its shared registration (decision 0046). */
  sharedRegistration?: string | undefined;
}

/** The inventory's one entry for every AT Protocol loopback client_id. */
export const LOOPBACK_ENTRY_ID = ATPROTO_LOOPBACK_CLIENT_ID;

/** The client_id the inventory files a client's activity under: loopback ids collapse to one. */
export function inventoryIdOf(clientId: string): string {
  return isAtprotoLoopbackClientId(clientId) ? LOOPBACK_ENTRY_ID : clientId;
}

/** The record the loopback entry is decided and shown with (as the loopback resolver builds it). */
export function loopbackRecord(activity: ClientActivity): ClientRecord {
  return {
    clientId: LOOPBACK_ENTRY_ID,
    kind: 'cimd',
    metadata: atprotoLoopbackClientMetadata(LOOPBACK_ENTRY_ID),
    createdAt: activity.firstSeenAt,
    updatedAt: activity.firstSeenAt,
  };
}

export function inventoryEntry(row: InventoryRow, decision: AdmissionDecision): InventoryEntry {
  const { record, operator, activity } = row;
  const { metadata } = record;
  const governed = governedClientOf(record);
  const owningHosts =
    governed.kind === 'loopback'
      ? []
      : record.kind === 'cimd'
        ? [hostOf(record.clientId)].flatMap((host) => host ?? [])
        : [...new Set((metadata.redirect_uris ?? []).flatMap((uri) => hostOf(uri) ?? []))];
  const { clientId: _, ...fields } = operator ?? { clientId: '' };
  return definedOnly({
    clientId: record.clientId,
    kind: governed.kind,
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method ?? 'none',
    clientName: metadata.client_name,
    clientNameSource:
      metadata.client_name === undefined
        ? undefined
        : record.kind === 'static'
          ? 'operator'
          : 'self-asserted',
    owningHosts,
    softwareId: metadata.software_id,
    operator: operator === undefined ? undefined : (fields as Omit<OperatorFields, 'clientId'>),
    contacts: [...(metadata.contacts ?? [])],
    state: decision.state,
    tier: decision.tier,
    reasons: [...decision.reasons],
    createdAt: record.createdAt,
    firstSeenAt: activity?.firstSeenAt,
    lastSeenAt: activity?.lastSeenAt ?? record.lastUsedAt,
    lastAuthorizationAt: activity?.lastAuthorizationAt,
    lastTokenAt: activity?.lastTokenAt,
    lastRefreshAt: activity?.lastRefreshAt,
    redirectUris: [...(metadata.redirect_uris ?? [])],
    jwksUri: metadata.jwks_uri,
    keyThumbprints: (metadata.jwks?.keys ?? []).flatMap((key) => jwkThumbprint(key) ?? []),
    shared: record.registration?.fingerprint === undefined ? undefined : true,
    sharedRegistration: record.registration?.sharedRegistration,
  });
}

/** The object without its undefined members (in place: it was just built), so JSON leaves them out. */
function definedOnly<T extends object>(value: T): T {
  const members = value as Record<string, unknown>;
  for (const key of Object.keys(members)) if (members[key] === undefined) delete members[key];
  return value;
}
