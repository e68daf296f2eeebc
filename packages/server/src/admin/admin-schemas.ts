/**
 * What the admin HTTP API accepts and answers (docs/admin-api.md), written once: the routes parse
 * request bodies with these schemas, the views build answers of their output types, and the
 * OpenAPI document (admin-openapi.ts) is generated from them, so the three cannot disagree.
 * JSON members are snake_case like the rest of Gatehouse's HTTP surfaces; times are ISO 8601 (UTC).
 */
import { APPROVAL_STATES, TRUST_TIERS } from '@gatehouse-oauth/core';
import { z } from 'zod';

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });

export const trustTierSchema = z.enum(TRUST_TIERS).meta({
  id: 'TrustTier',
  description: "the operator's policy class of a client: what it may get, above what it asks for",
});

export const approvalStateSchema = z.enum(APPROVAL_STATES).meta({ id: 'ApprovalState' });

export const selectorSchema = z.string().min(1).max(2048).meta({
  description:
    'a client_id, or a selector: a client ID URL pattern (`*` one segment, `**` the rest), `host:`, `domain:`, `software:`, `redirect-host:`, `kind:`, `id:`',
  example: 'domain:example.com',
});

const owner = z.string().min(1).max(200).meta({ description: 'who answers for the clients it selects' });
const note = z.string().min(1).max(500);

// Requests.

export const approvalRequestSchema = z
  .strictObject({
    target: selectorSchema,
    tier: trustTierSchema.optional(),
    owner: owner.optional(),
    note: note.optional().meta({ description: 'why; shown in the console and the audit' }),
  })
  .meta({ id: 'ApprovalRequest', description: 'approve the clients a selector selects' });

export const blockRequestSchema = z
  .strictObject({
    target: selectorSchema,
    reason: note.optional().meta({ description: "why; stored as the rule's note and audited" }),
  })
  .meta({ id: 'BlockRequest', description: 'block the clients a selector selects' });

export const tierRequestSchema = z
  .strictObject({ tier: trustTierSchema })
  .meta({ id: 'TierRequest', description: "set a stored rule's tier, keeping its state" });

export const selectorParameterSchema = z.strictObject({
  selector: selectorSchema.meta({ description: "the rule's selector, percent-encoded as a path segment" }),
});

export const clientIdParameterSchema = z.strictObject({
  client_id: z
    .string()
    .min(1)
    .max(2048)
    .meta({ description: 'the client_id, percent-encoded as a path segment' }),
});

// Answers.

export const storedRuleSchema = z
  .strictObject({
    selector: z.string(),
    state: approvalStateSchema.optional(),
    tier: trustTierSchema.optional(),
    owner: z.string().optional(),
    note: z.string().optional(),
    updated_by: z.string().meta({ description: '`cli:<user>`, `admin-token:<id>`, `console:<user>`' }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'StoredRule', description: 'a rule stored through the CLI, the admin API or the console' });

export const ruleSchema = z
  .strictObject({
    selector: z.string(),
    state: approvalStateSchema.optional(),
    tier: trustTierSchema.optional(),
    origin: z.enum(['file', 'stored']).meta({ description: 'the configuration file, or stored' }),
    owner: z.string().optional(),
    note: z.string().optional(),
    updated_by: z.string().optional(),
    updated_at: timestamp.optional(),
  })
  .meta({ id: 'Rule', description: 'a rule in force' });

export const rulesResponseSchema = z.strictObject({ rules: z.array(ruleSchema) }).meta({ id: 'Rules' });

export const ruleChangeSchema = z
  .strictObject({
    selector: z.string().meta({ description: 'the selector in its one spelling' }),
    before: storedRuleSchema.nullable().meta({ description: 'the stored rule before; null: there was none' }),
    after: storedRuleSchema.nullable().meta({ description: 'the stored rule after; null: there is none' }),
    file_rule: ruleSchema.optional().meta({
      description: "the configuration file's rule on the same selector: it applies beside the stored one",
    }),
  })
  .meta({ id: 'RuleChange', description: 'what a change did to the stored rule of one selector' });

const cascadeShape = {
  grants_revoked: z.int().min(0),
  families_revoked: z.int().min(0).meta({ description: 'sessions (refresh token families) ended' }),
  codes_deleted: z.int().min(0),
  requests_deleted: z.int().min(0).meta({ description: 'pending and pushed authorization requests' }),
};

export const cascadeSchema = z
  .strictObject({ client_id: z.string(), ...cascadeShape })
  .meta({ id: 'Revocation', description: 'what revoking everything a client holds ended' });

export const blockResultSchema = z
  .strictObject({
    ...ruleChangeSchema.shape,
    revoked: z.array(cascadeSchema).meta({ description: 'each stored client the block selects' }),
  })
  .meta({ id: 'BlockResult' });

export const removalSchema = z
  .strictObject({
    client_id: z.string(),
    existed: z.boolean().meta({ description: 'whether a client record existed (and was deleted)' }),
    document_versions_deleted: z.int().min(0),
    ...cascadeShape,
  })
  .meta({ id: 'Removal', description: 'what removing a client did' });

export const accessRequestSchema = z
  .strictObject({
    client_id: z.string(),
    user_id: z.string(),
    client_name: z.string().optional(),
    first_at: timestamp,
    last_at: timestamp,
    attempts: z.int().min(1),
  })
  .meta({ id: 'AccessRequest', description: 'attempts by one user to use a client that awaits approval' });

export const holdSchema = z
  .strictObject({ client_id: z.string(), reason: z.string(), at: timestamp })
  .meta({ id: 'Hold', description: 'a client the server put back to pending, and why' });

export const accessRequestsResponseSchema = z
  .strictObject({ requests: z.array(accessRequestSchema), holds: z.array(holdSchema) })
  .meta({ id: 'AccessRequests', description: 'access requests (newest first) and held clients' });

export const releaseResponseSchema = z
  .strictObject({ client_id: z.string(), released: z.literal(true) })
  .meta({ id: 'Release' });

const decisionRuleSchema = z
  .strictObject({
    selector: z.string(),
    state: approvalStateSchema.optional(),
    tier: trustTierSchema.optional(),
    origin: z.enum(['file', 'stored']),
    note: z.string().optional(),
  })
  .meta({ id: 'DecidingRule' });

export const decisionSchema = z
  .strictObject({
    client_id: z.string(),
    state: approvalStateSchema,
    tier: trustTierSchema,
    admitted: z
      .boolean()
      .meta({ description: 'whether its requests may go on (always true in report-only)' }),
    refusal: z.enum(['client_pending', 'client_blocked', 'client_not_admitted']).optional(),
    state_rule: decisionRuleSchema.optional(),
    tier_rule: decisionRuleSchema.optional(),
    reasons: z.array(z.string()).meta({ description: 'why, in words' }),
  })
  .meta({ id: 'Decision', description: 'what the server decides for a client now' });

export const adminTokenSchema = z
  .strictObject({
    id: z.string().meta({ description: 'public; the audit actor is `admin-token:<id>`' }),
    scope: z.enum(['read', 'write']),
    label: z.string().optional(),
    state: z.enum(['active', 'expired', 'revoked']),
    created_by: z.string(),
    created_at: timestamp,
    expires_at: timestamp.optional(),
    revoked_at: timestamp.optional(),
  })
  .meta({ id: 'AdminToken', description: 'an admin API token as listed (never the token itself)' });

export const adminTokensResponseSchema = z
  .strictObject({ tokens: z.array(adminTokenSchema) })
  .meta({ id: 'AdminTokens' });

// The audit log (issue #14, item 6; docs/audit-events.md).

const auditTime = z.string().meta({
  description:
    'ISO 8601: a date (its first instant, UTC) or a date-time with `Z` or an offset; a date-time without a zone is refused',
  example: '2026-11-23T12:00:00Z',
});

/** The filters of both audit operations: each given must match, exactly. */
const auditFilterShape = {
  client_id: z.string().min(1).max(2048).optional(),
  user: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "an account's name; 404 when there is none" }),
  user_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "an account's id (also of an account removed since)" }),
  type: z.string().min(1).max(64).optional().meta({ example: 'client.removed' }),
  actor: z.string().min(1).max(300).optional().meta({ example: 'cli:alice' }),
  since: auditTime.optional().meta({ description: 'events at or after this time' }),
  until: auditTime.optional().meta({ description: 'events before this time (exclusive)' }),
};

export const auditQuerySchema = z.strictObject({
  ...auditFilterShape,
  limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: 'events per page' }),
  cursor: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: "the previous page's `next_cursor`: the page after it" }),
});

export const auditExportQuerySchema = z.strictObject({
  ...auditFilterShape,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'at most this many events; unset: every event that matches' }),
});

export const auditEventSchema = z
  .strictObject({
    at: timestamp,
    type: z.string().meta({ description: 'docs/audit-events.md lists every type and its fields' }),
    client_id: z.string().optional(),
    user_id: z.string().optional(),
    reason: z.string().optional().meta({ description: 'a stable reason (docs/errors.md)' }),
    actor: z.string().optional().meta({
      description:
        '`cli:<user>`, `admin-token:<id>`, `console:<user>`, `client:<client_id>`, `system:<job>`; absent when the client or user asked',
    }),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditEvent', description: 'one security decision, as it happened' });

export const auditPageSchema = z
  .strictObject({
    events: z
      .array(auditEventSchema)
      .meta({ description: 'newest first (same millisecond: last written first)' }),
    next_cursor: z
      .string()
      .optional()
      .meta({ description: 'pass as `cursor` for the next page; absent on the last page' }),
  })
  .meta({ id: 'AuditPage' });

export const errorSchema = z
  .strictObject({
    error: z.string().meta({ example: 'invalid_request' }),
    error_description: z.string().optional(),
  })
  .meta({
    id: 'Error',
    description: 'every refusal; its stable reason is in the request log (docs/errors.md)',
  });

export type RuleJson = z.output<typeof ruleSchema>;
export type StoredRuleJson = z.output<typeof storedRuleSchema>;
export type RuleChangeJson = z.output<typeof ruleChangeSchema>;
export type BlockResultJson = z.output<typeof blockResultSchema>;
export type CascadeJson = z.output<typeof cascadeSchema>;
export type RemovalJson = z.output<typeof removalSchema>;
export type AccessRequestsJson = z.output<typeof accessRequestsResponseSchema>;
export type DecisionJson = z.output<typeof decisionSchema>;
export type AdminTokenJson = z.output<typeof adminTokenSchema>;
export type AuditEventJson = z.output<typeof auditEventSchema>;
export type AuditPageJson = z.output<typeof auditPageSchema>;
