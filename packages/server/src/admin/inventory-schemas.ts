/**
 * What the admin API's inventory operations accept and answer (issue #14, docs/inventory.md), in the
 * style of admin-schemas.ts: snake_case members, ISO 8601 times, the OpenAPI document generated
 * from these same schemas.
 */
import { APPROVAL_STATES, CLIENT_KINDS, TRUST_TIERS } from '@gatehouse-oauth/core';
import { z } from 'zod';
import { DOCUMENT_FETCH_OUTCOMES } from '../store/document-fetch-store.ts';
import { approvalStateSchema, trustTierSchema } from './admin-schemas.ts';

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });
const count = z.int().min(0);

// Requests.

export const inventoryQuerySchema = z.strictObject({
  kind: z.enum(CLIENT_KINDS).optional().meta({ description: 'static, dcr, cimd or loopback' }),
  state: z.enum(APPROVAL_STATES).optional().meta({ description: 'what governance decides now' }),
  tier: z.enum(TRUST_TIERS).optional(),
  domain: z.string().min(1).max(2048).optional().meta({
    description:
      'a host or a parent domain: CIMD clients by their client_id host, registered clients by their redirect hosts',
  }),
  software_id: z.string().min(1).max(2048).optional(),
  owner: z.string().min(1).max(200).optional().meta({ description: "the operator's owner field, exactly" }),
  label: z.string().min(1).max(64).optional(),
  seen_since: timestamp.optional().meta({ description: 'last seen at or after (ISO 8601)' }),
  idle_days: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'not seen for this many days (never seen: since recorded)' }),
  sort: z.enum(['client_id', 'created', 'last_seen']).optional().meta({
    description: 'client_id (default), created (oldest first) or last_seen (newest first)',
  }),
  cursor: z.string().min(1).max(4096).optional().meta({ description: "the previous page's `next`" }),
  limit: z.coerce.number().int().min(1).max(1000).optional().meta({ description: 'default 100' }),
  installations_of: z.string().min(1).max(2048).optional().meta({
    description:
      'only the installation registrations of this shared (recognised) registration; without it they are left out, each counted under its shared registration (docs/inventory.md)',
  }),
});

const nullableText = (max: number) =>
  z.string().min(1).max(max).nullable().optional().meta({ description: 'null clears it; absent keeps it' });

export const operatorFieldsRequestSchema = z
  .strictObject({
    owner: nullableText(200),
    team: nullableText(200),
    contact: nullableText(200),
    labels: z
      .array(z.string().min(1).max(64))
      .max(32)
      .optional()
      .meta({ description: 'replaces the labels ([] clears them); absent keeps them' }),
    note: nullableText(500),
  })
  .meta({ id: 'OperatorFieldsChange', description: "the operator's fields to change on one client" });

export const reachTargetSchema = z
  .strictObject({
    client_id: z.string().min(1).max(2048).optional(),
    domain: z.string().min(1).max(253).optional().meta({ description: 'a host and its subdomains' }),
    software_id: z.string().min(1).max(2048).optional(),
    user: z.string().min(1).max(2048).optional().meta({ description: 'a username, or a user id' }),
  })
  .meta({ id: 'BlastRadiusTarget', description: 'exactly one of client_id, domain, software_id, user' });

export const userParameterSchema = z.strictObject({
  user: z.string().min(1).max(2048).meta({ description: 'a username (or a user id), percent-encoded' }),
});

export const grantIdParameterSchema = z.strictObject({
  grant_id: z.string().min(1).max(2048).meta({ description: 'the grant id of a connection' }),
});

// Answers.

const operatorFieldsSchema = z
  .strictObject({
    owner: z.string().optional(),
    team: z.string().optional(),
    contact: z.string().optional(),
    labels: z.array(z.string()),
    note: z.string().optional(),
    updated_by: z.string().meta({ description: '`cli:<user>`, `admin-token:<id>`, `console:<user>`' }),
    updated_at: timestamp,
  })
  .meta({ id: 'OperatorFields', description: 'what the operator says about a client: who answers for it' });

const documentStateSchema = z
  .strictObject({
    last_fetch: z
      .strictObject({
        at: timestamp,
        outcome: z.enum(DOCUMENT_FETCH_OUTCOMES),
        duration_ms: count,
        reason: z.string().optional(),
        status: z.int().optional(),
      })
      .optional()
      .meta({ description: "the newest entry of the document's fetch log (docs/document-history.md)" }),
    etag: z.string().optional(),
    last_modified: z.string().optional(),
    fresh_until: timestamp
      .optional()
      .meta({ description: 'revalidated by then (in the background, before)' }),
    stale: z
      .strictObject({ since: timestamp, until: timestamp, reason: z.string() })
      .optional()
      .meta({ description: 'the last good version served because the origin fails (stale-if-error)' }),
    evicted_at: timestamp.optional(),
  })
  .meta({ id: 'DocumentState', description: "a document client's metadata document: last fetch, freshness" });

export const inventoryEntrySchema = z
  .strictObject({
    client_id: z.string(),
    kind: z.enum(CLIENT_KINDS),
    token_endpoint_auth_method: z.string().meta({ description: '`none`: a public client' }),
    client_name: z.string().optional(),
    client_name_source: z
      .enum(['self-asserted', 'operator'])
      .optional()
      .meta({ description: "self-asserted: the client's own claim, checked by nobody" }),
    owning_hosts: z.array(z.string()).meta({
      description: "a CIMD client's client_id host; a registered client's redirect hosts",
    }),
    software_id: z.string().optional(),
    operator: operatorFieldsSchema.optional(),
    contacts: z.array(z.string()).meta({ description: "the document's `contacts` (its own claim)" }),
    state: approvalStateSchema,
    tier: trustTierSchema,
    reasons: z.array(z.string()).meta({ description: 'why, in words' }),
    created_at: timestamp.meta({ description: 'when the server recorded it' }),
    first_seen_at: timestamp.optional(),
    last_seen_at: timestamp.optional(),
    last_authorization_at: timestamp.optional(),
    last_token_at: timestamp.optional(),
    last_refresh_at: timestamp.optional(),
    redirect_uris: z.array(z.string()),
    jwks_uri: z.string().optional(),
    key_thumbprints: z
      .array(z.string())
      .meta({ description: 'RFC 7638 SHA-256 thumbprints of its inline keys' }),
    document: documentStateSchema.optional().meta({ description: 'document clients only' }),
    shared: z.literal(true).optional().meta({
      description:
        'a shared (recognised) registration: its installation registrations are listed with installations_of',
    }),
    shared_registration: z
      .string()
      .optional()
      .meta({ description: 'an installation registration: the client_id of its shared registration' }),
  })
  .meta({ id: 'InventoryEntry', description: 'one client as the inventory shows it' });

export const inventoryPageSchema = z
  .strictObject({
    clients: z.array(inventoryEntrySchema),
    next: z.string().optional().meta({ description: 'the cursor of the next page; absent on the last' }),
  })
  .meta({ id: 'InventoryPage' });

export const inventoryDetailSchema = z
  .strictObject({
    ...inventoryEntrySchema.shape,
    reach: z.strictObject({
      users_with_live_grants: count,
      installations: count,
      grants: count,
      live_families: count,
      tokens_issued_last_24_hours: count,
      tokens_issued_last_7_days: count,
      last_token_at: timestamp.optional(),
    }),
    installation_registrations: z
      .strictObject({
        count,
        client_ids: z.array(z.string()).meta({
          description: 'the first 20 in client_id order; list them all with installations_of',
        }),
      })
      .optional()
      .meta({ description: 'a shared registration only: its installation registrations (decision 0046)' }),
  })
  .meta({ id: 'InventoryDetail', description: 'one client with what it reaches' });

export const operatorFieldsChangeSchema = z
  .strictObject({
    client_id: z.string(),
    before: operatorFieldsSchema.nullable(),
    after: operatorFieldsSchema.nullable(),
  })
  .meta({ id: 'OperatorFieldsResult' });

const heldSchema = z.array(z.strictObject({ value: z.string(), grants: count }));

export const blastRadiusSchema = z
  .strictObject({
    target: reachTargetSchema,
    clients: z
      .array(z.string())
      .meta({ description: 'the clients selected (a user: those it has grants with)' }),
    user_id: z.string().optional(),
    username: z.string().optional(),
    users_with_live_grants: count,
    installations: count,
    grants: count,
    resources: heldSchema,
    scopes: heldSchema,
    live_families: count.meta({ description: 'sessions that can still refresh' }),
    access_tokens_last_hour: count.meta({ description: 'issued in the last hour: possibly still valid' }),
    last_used_at: timestamp.optional(),
    measured_at: timestamp,
  })
  .meta({ id: 'BlastRadius', description: 'what a client, domain, software_id or user reaches now' });

export const revokedReachSchema = z
  .strictObject({
    before: blastRadiusSchema,
    after: blastRadiusSchema,
    grants_revoked: count,
    families_revoked: count,
  })
  .meta({ id: 'BlastRadiusRevocation' });

export const installationSchema = z
  .strictObject({
    key: z.string().meta({ description: 'opaque; what revoking the installation takes' }),
    dpop_jkt: z
      .string()
      .optional()
      .meta({ description: 'the DPoP key (RFC 7638 thumbprint) telling it apart' }),
    live_sessions: count,
    last_session_at: timestamp.optional(),
  })
  .meta({
    id: 'Installation',
    description:
      'one machine under a grant: for loopback and private-use redirects told apart by DPoP key, else by session (docs/inventory.md)',
  });

export const installationRevocationRequestSchema = z
  .strictObject({
    installation: z
      .string()
      .min(1)
      .max(4096)
      .meta({ description: 'the `key` of one of the connection’s installations' }),
  })
  .meta({ id: 'InstallationRevocationRequest' });

export const installationRevocationSchema = z
  .strictObject({
    grant_id: z.string(),
    installation: z.string(),
    families_revoked: count,
    grant_revoked: z.boolean().meta({ description: 'the last installation left, and the grant with it' }),
  })
  .meta({ id: 'InstallationRevocation' });

export const connectionSchema = z
  .strictObject({
    grant_id: z.string(),
    user_id: z.string(),
    username: z.string().optional(),
    client_id: z.string(),
    client_name: z.string().optional(),
    redirect_uri: z.string().meta({ description: 'the installation' }),
    scope: z.array(z.string()),
    resources: z.array(z.string()),
    created_at: timestamp,
    updated_at: timestamp,
    live_sessions: count,
    last_session_at: timestamp.optional(),
    installations: z.array(installationSchema),
  })
  .meta({ id: 'Connection', description: 'a live grant: one user, one installation of one client' });

export const connectionsSchema = z
  .strictObject({
    user_id: z.string().optional(),
    username: z.string().optional(),
    client_id: z.string().optional(),
    connections: z.array(connectionSchema),
  })
  .meta({ id: 'Connections' });

export type InventoryEntryJson = z.output<typeof inventoryEntrySchema>;
export type InventoryDetailJson = z.output<typeof inventoryDetailSchema>;
export type OperatorFieldsJson = z.output<typeof operatorFieldsSchema>;
export type BlastRadiusJson = z.output<typeof blastRadiusSchema>;
export type ConnectionJson = z.output<typeof connectionSchema>;
export type ConnectionsJson = z.output<typeof connectionsSchema>;
export type InstallationRevocationJson = z.output<typeof installationRevocationSchema>;
