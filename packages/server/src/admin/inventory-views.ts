/**
 * The admin API's inventory answers from the inventory's objects (issue #14): snake_case, ISO 8601
 * times, unset members left out; typed by the schemas' output types (inventory-schemas.ts), as
 * admin-views.ts is for governance.
 */
import type { BlastRadius, InventoryDetail, RevokedReach } from '../inventory/client-inventory.ts';
import type { ConnectionsOf, ConnectionView } from '../inventory/connections.ts';
import type { DocumentState } from '../inventory/document-state.ts';
import type { InventoryEntry } from '../inventory/inventory-entry.ts';
import type { OperatorFields } from '../store/store.ts';
import type {
  BlastRadiusJson,
  ConnectionJson,
  ConnectionsJson,
  InstallationRevocationJson,
  InventoryDetailJson,
  InventoryEntryJson,
  OperatorFieldsJson,
} from './inventory-schemas.ts';

const iso = (time: number) => new Date(time).toISOString();
const isoOf = (time: number | undefined) => (time === undefined ? undefined : iso(time));

function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

export function operatorFieldsJson(
  fields: Omit<OperatorFields, 'clientId'> | undefined,
): OperatorFieldsJson | undefined {
  return fields === undefined
    ? undefined
    : defined({
        owner: fields.owner,
        team: fields.team,
        contact: fields.contact,
        labels: [...fields.labels],
        note: fields.note,
        updated_by: fields.updatedBy,
        updated_at: iso(fields.updatedAt),
      });
}

function documentStateJson(state: DocumentState | undefined) {
  if (state === undefined) return undefined;
  const { lastFetch, stale } = state;
  return defined({
    last_fetch:
      lastFetch === undefined
        ? undefined
        : defined({
            at: iso(lastFetch.at),
            outcome: lastFetch.outcome,
            duration_ms: lastFetch.durationMs,
            reason: lastFetch.reason,
            status: lastFetch.status,
          }),
    etag: state.etag,
    last_modified: state.lastModified,
    fresh_until: isoOf(state.freshUntil),
    stale:
      stale === undefined
        ? undefined
        : { since: iso(stale.since), until: iso(stale.until), reason: stale.reason },
    evicted_at: isoOf(state.evictedAt),
  });
}

export function inventoryEntryJson(entry: InventoryEntry): InventoryEntryJson {
  return defined({
    client_id: entry.clientId,
    kind: entry.kind,
    token_endpoint_auth_method: entry.tokenEndpointAuthMethod,
    client_name: entry.clientName,
    client_name_source: entry.clientNameSource,
    owning_hosts: entry.owningHosts,
    software_id: entry.softwareId,
    operator: operatorFieldsJson(entry.operator),
    contacts: entry.contacts,
    state: entry.state,
    tier: entry.tier,
    reasons: entry.reasons,
    created_at: iso(entry.createdAt),
    first_seen_at: isoOf(entry.firstSeenAt),
    last_seen_at: isoOf(entry.lastSeenAt),
    last_authorization_at: isoOf(entry.lastAuthorizationAt),
    last_token_at: isoOf(entry.lastTokenAt),
    last_refresh_at: isoOf(entry.lastRefreshAt),
    redirect_uris: entry.redirectUris,
    jwks_uri: entry.jwksUri,
    key_thumbprints: entry.keyThumbprints,
    document: documentStateJson(entry.document),
    shared: entry.shared === true ? true : undefined,
    shared_registration: entry.sharedRegistration,
  });
}

export function inventoryDetailJson(detail: InventoryDetail): InventoryDetailJson {
  const { reach } = detail;
  return {
    ...inventoryEntryJson(detail),
    reach: defined({
      users_with_live_grants: reach.usersWithLiveGrants,
      installations: reach.installations,
      grants: reach.grants,
      live_families: reach.liveFamilies,
      tokens_issued_last_24_hours: reach.tokensIssuedLast24Hours,
      tokens_issued_last_7_days: reach.tokensIssuedLast7Days,
      last_token_at: isoOf(reach.lastTokenAt),
    }),
    ...(detail.installationRegistrations === undefined
      ? {}
      : {
          installation_registrations: {
            count: detail.installationRegistrations.count,
            client_ids: detail.installationRegistrations.clientIds,
          },
        }),
  };
}

export function blastRadiusJson(radius: BlastRadius): BlastRadiusJson {
  const { target } = radius;
  return defined({
    target:
      'clientId' in target
        ? { client_id: target.clientId }
        : 'domain' in target
          ? { domain: target.domain }
          : 'softwareId' in target
            ? { software_id: target.softwareId }
            : { user: target.user },
    clients: radius.clients,
    user_id: radius.userId,
    username: radius.username,
    users_with_live_grants: radius.usersWithLiveGrants,
    installations: radius.installations,
    grants: radius.grants,
    resources: radius.resources,
    scopes: radius.scopes,
    live_families: radius.liveFamilies,
    access_tokens_last_hour: radius.accessTokensLastHour,
    last_used_at: isoOf(radius.lastUsedAt),
    measured_at: iso(radius.measuredAt),
  });
}

export function revokedReachJson(revoked: RevokedReach) {
  return {
    before: blastRadiusJson(revoked.before),
    after: blastRadiusJson(revoked.after),
    grants_revoked: revoked.grantsRevoked,
    families_revoked: revoked.familiesRevoked,
  };
}

export function connectionJson(connection: ConnectionView): ConnectionJson {
  return defined({
    grant_id: connection.grantId,
    user_id: connection.userId,
    username: connection.username,
    client_id: connection.clientId,
    client_name: connection.clientName,
    redirect_uri: connection.redirectUri,
    scope: connection.scope,
    resources: connection.resources,
    created_at: iso(connection.createdAt),
    updated_at: iso(connection.updatedAt),
    live_sessions: connection.liveSessions,
    last_session_at: isoOf(connection.lastSessionAt),
    installations: connection.installations.map((installation) =>
      defined({
        key: installation.key,
        dpop_jkt: installation.dpopJkt,
        live_sessions: installation.liveSessions,
        last_session_at: isoOf(installation.lastSessionAt),
      }),
    ),
  });
}

export function installationRevocationJson(revoked: {
  grantId: string;
  installation: string;
  familiesRevoked: number;
  grantRevoked: boolean;
}): InstallationRevocationJson {
  return {
    grant_id: revoked.grantId,
    installation: revoked.installation,
    families_revoked: revoked.familiesRevoked,
    grant_revoked: revoked.grantRevoked,
  };
}

export function connectionsJson(of: ConnectionsOf): ConnectionsJson {
  return defined({
    user_id: of.userId,
    username: of.username,
    client_id: of.clientId,
    connections: of.connections.map(connectionJson),
  });
}
