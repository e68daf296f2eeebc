/**
 * The admin HTTP API (issue #13, docs/admin-api.md): the operator's governance operations and the
 * client lifecycle as JSON, mounted from the one operations table (admin-openapi.ts). Every
 * operation asks for an admin API token first (admin-tokens.ts): no token, no data, whatever is
 * configured; only the OpenAPI document is public. Each call runs the same service the CLI and the
 * console call, with the actor `admin-token:<id>`, so it is validated, stored, propagated and
 * audited in the same way. Refusals are `{error, error_description}` with their status and a stable
 * reason in the request log; never a stack trace.
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AuditQuery } from '../audit/audit-query.ts';
import type { DocumentFreshnessOperations } from '../cimd/document-freshness.ts';
import type { DocumentHistoryReader } from '../cimd/document-history.ts';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { GovernanceAdmin } from '../governance/governance-admin.ts';
import { readCappedText } from '../http/form-body.ts';
import { handleOAuthJson } from '../http/oauth-json.ts';
import { jsonResponse } from '../http/responses.ts';
import type { ServerApp } from '../http/server-app.ts';
import type { ClientInventory, ReachTarget } from '../inventory/client-inventory.ts';
import type { InventoryFilter } from '../inventory/inventory-query.ts';
import type { AdminTokenRecord, AdminTokenScope } from '../store/store.ts';
import type { UserAdmin } from '../users/user-admin.ts';
import { auditHandlers } from './admin-audit.ts';
import { documentEvictionJson, documentRefreshJson } from './admin-document-freshness.ts';
import { documentHistoryJson, versionDiffJson } from './admin-history-views.ts';
import {
  ADMIN_OPERATIONS,
  type AdminOperation,
  type AdminOperationId,
  adminOpenApiText,
  OPENAPI_PATH,
} from './admin-openapi.ts';
import { approvalRequestSchema, blockRequestSchema, tierRequestSchema } from './admin-schemas.ts';
import { type AdminTokens, adminTokenMissing, adminTokenScope } from './admin-tokens.ts';
import { userChangeRequestSchema, userHandlers } from './admin-user-operations.ts';
import {
  accessRequestsJson,
  adminTokenJson,
  blockResultJson,
  cascadeJson,
  decisionJson,
  removalJson,
  ruleChangeJson,
  ruleJson,
} from './admin-views.ts';
import {
  installationRevocationRequestSchema,
  operatorFieldsRequestSchema,
  reachTargetSchema,
} from './inventory-schemas.ts';
import {
  blastRadiusJson,
  connectionJson,
  connectionsJson,
  installationRevocationJson,
  inventoryDetailJson,
  inventoryEntryJson,
  operatorFieldsJson,
  revokedReachJson,
} from './inventory-views.ts';

export interface AdminRouteDeps {
  governance: GovernanceAdmin;
  clients: Pick<ClientLifecycle, 'remove' | 'revokeAll'>;
  inventory: ClientInventory;
  tokens: AdminTokens;
  logger: Logger;
  /** The audit log as the operator reads it (issue #14): the same query as `gatehouse audit`. */
  auditLog: AuditQuery;
  /** Document history and diffs (issue #14, cimd/document-history.ts). */
  history: DocumentHistoryReader;
  /** Refresh and evict a client's metadata document (issue #14, item 5). */
  documents: DocumentFreshnessOperations;
  /** Local accounts (issue #15): the service the console's users page calls. */
  users: UserAdmin;
}

/** A call that passed authentication: its path parameters, its request and who makes it. */
interface AdminCall {
  request: Request;
  params: Record<string, string>;
  /** Query parameters as the operation's schema parsed them (none when it declares none). */
  query: Record<string, unknown>;
  /** `admin-token:<id>`, the audit actor of whatever the call changes. */
  actor: string;
}

/** Admin bodies are a selector and a few words: 16 KiB is generous. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

const BEARER = /^Bearer +(\S+)$/i;

/**
 * Mounts every admin operation below `basePath` (the issuer's path; '' on a listener of its own),
 * the public OpenAPI document, and a catch-all below `/admin/v1/` that asks for a token before it
 * says a route does not exist.
 */
export function mountAdminRoutes(app: ServerApp, deps: AdminRouteDeps, basePath: string): void {
  const handlers = adminHandlers(deps);
  const document = adminOpenApiText();
  app.get(
    `${basePath}${OPENAPI_PATH}`,
    () =>
      new Response(document, {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
      }),
  );
  for (const [id, operation] of Object.entries(ADMIN_OPERATIONS) as [AdminOperationId, AdminOperation][]) {
    const path = `${basePath}${operation.path.replace(/\{([a-z_]+)\}/g, ':$1')}`;
    app.on(operation.method.toUpperCase(), path, (c) =>
      handleOAuthJson(
        c.req.raw,
        async () => {
          const token = await authenticate(c.req.raw, operation.scope, deps.tokens);
          const params = checkedParameters(operation, c.req.param() as Record<string, string>);
          const query = checkedQuery(operation, c.req.raw);
          const answer = await handlers[id]({ request: c.req.raw, params, query, actor: actorOf(token) });
          // A streamed answer (the audit export) is its own Response.
          return answer instanceof Response ? answer : jsonResponse(answer);
        },
        deps.logger,
      ),
    );
  }
  app.all(`${basePath}/admin/v1/*`, (c) =>
    handleOAuthJson(
      c.req.raw,
      async () => {
        await authenticate(c.req.raw, 'read', deps.tokens);
        throw new OAuthError('invalid_request', {
          status: 404,
          reason: 'admin_route_unknown',
          description: 'no such admin API operation; see /admin/openapi.json',
        });
      },
      deps.logger,
    ),
  );
}

export function actorOf(token: Pick<AdminTokenRecord, 'id'>): string {
  return `admin-token:${token.id}`;
}

/** The token's record when it may make this call; its refusal otherwise. */
async function authenticate(
  request: Request,
  needed: AdminTokenScope,
  tokens: AdminTokens,
): Promise<AdminTokenRecord> {
  const header = request.headers.get('authorization');
  const presented = header === null ? null : BEARER.exec(header.trim());
  // No credentials, or another scheme's: nothing was presented to this API (RFC 6750 §3.1).
  if (presented === null) throw adminTokenMissing();
  const record = await tokens.verify(presented[1]!);
  if (needed === 'write' && record.scope !== 'write') throw adminTokenScope('write');
  return record;
}

function adminHandlers(
  deps: AdminRouteDeps,
): Record<AdminOperationId, (call: AdminCall) => Promise<unknown>> {
  const { governance, clients, inventory, tokens, documents } = deps;
  return {
    listRules: async () => ({ rules: (await governance.rules()).map(ruleJson) }),
    approve: async ({ request, actor }) => {
      const { target, tier, owner, note } = await readBody(request, approvalRequestSchema);
      const options = {
        actor,
        ...(tier === undefined ? {} : { tier }),
        ...(owner === undefined ? {} : { owner }),
        ...(note === undefined ? {} : { note }),
      };
      return ruleChangeJson(await governance.approve(target, options));
    },
    block: async ({ request, actor }) => {
      const { target, reason } = await readBody(request, blockRequestSchema);
      return blockResultJson(
        await governance.block(target, { actor, ...(reason === undefined ? {} : { reason }) }),
      );
    },
    unblock: async ({ params, actor }) =>
      ruleChangeJson(await governance.unblock(params.selector!, { actor })),
    setTier: async ({ request, params, actor }) => {
      const { tier } = await readBody(request, tierRequestSchema);
      return ruleChangeJson(await governance.setTier(params.selector!, { actor, tier }));
    },
    deleteRule: async ({ params, actor }) =>
      ruleChangeJson(await governance.deleteRule(params.selector!, { actor })),
    accessRequests: async () => accessRequestsJson(await governance.pending()),
    releaseHold: async ({ params, actor }) => {
      const clientId = params.client_id!;
      if (!(await governance.release(clientId, { actor })))
        throw notFound('hold_not_found', `no hold on client ${clientId}`);
      return { client_id: clientId, released: true };
    },
    decision: async ({ params }) => {
      const clientId = params.client_id!;
      const decision = await governance.decisionFor(clientId);
      if (decision === undefined)
        throw notFound('client_not_found', `no stored client ${clientId}, and not a client ID URL`);
      return decisionJson(clientId, decision);
    },
    removeClient: async ({ params, actor }) => {
      const clientId = params.client_id!;
      const removed = await clients.remove(clientId, { actor, reason: 'operator' });
      // As `gatehouse clients remove` says it: nothing was there, and nothing was held.
      if (!removed.existed && removed.grantsRevoked + removed.familiesRevoked === 0)
        throw notFound('client_not_found', `no client ${clientId}`);
      return removalJson(clientId, removed);
    },
    revokeClient: async ({ params, actor }) => {
      const clientId = params.client_id!;
      return cascadeJson(clientId, await clients.revokeAll(clientId, { actor, reason: 'operator' }));
    },
    listAdminTokens: async () => ({ tokens: (await tokens.list()).map(adminTokenJson) }),
    ...auditHandlers(deps.auditLog, deps.logger),
    clientHistory: async ({ params, query }) => {
      const clientId = params.client_id!;
      const page = query as { limit?: number; before?: number };
      const history = await deps.history.history(clientId, page);
      if (history === undefined)
        throw notFound('client_not_found', `no client ${clientId}, and no fetch of it`);
      return documentHistoryJson(history);
    },
    clientHistoryDiff: async ({ params, query }) => {
      const { from, to } = query as { from: string; to: string };
      return versionDiffJson(await deps.history.diff(params.client_id!, from, to));
    },
    refreshDocument: async ({ params, actor }) =>
      documentRefreshJson(await documents.refresh(params.client_id!, { actor })),
    evictDocument: async ({ params, actor }) =>
      documentEvictionJson(await documents.evict(params.client_id!, { actor })),
    listClients: async ({ query }) => {
      const page = await inventory.list(inventoryFilterOf(query));
      return {
        clients: page.entries.map(inventoryEntryJson),
        ...(page.next === undefined ? {} : { next: page.next }),
      };
    },
    showClient: async ({ params }) => {
      const detail = await inventory.show(params.client_id!);
      if (detail === undefined)
        throw notFound('client_not_found', `no client ${params.client_id} in the inventory`);
      return inventoryDetailJson(detail);
    },
    setOperatorFields: async ({ request, params, actor }) => {
      const change = await readBody(request, operatorFieldsRequestSchema);
      const result = await inventory.setOperatorFields(params.client_id!, change, { actor });
      return {
        client_id: result.clientId,
        before: operatorFieldsJson(result.before) ?? null,
        after: operatorFieldsJson(result.after) ?? null,
      };
    },
    blastRadius: async ({ query }) => blastRadiusJson(await inventory.reach(reachTargetOf(query))),
    revokeBlastRadius: async ({ request, actor }) =>
      revokedReachJson(
        await inventory.revokeReach(reachTargetOf(await readBody(request, reachTargetSchema)), { actor }),
      ),
    userConnections: async ({ params }) => connectionsJson(await inventory.connections.ofUser(params.user!)),
    clientConnections: async ({ params }) =>
      connectionsJson(await inventory.connections.ofClient(params.client_id!)),
    revokeConnection: async ({ params, actor }) =>
      connectionJson(await inventory.connections.revoke(params.grant_id!, { actor })),
    revokeInstallation: async ({ request, params, actor }) => {
      const { installation } = await readBody(request, installationRevocationRequestSchema);
      return installationRevocationJson(
        await inventory.connections.revokeInstallation(params.grant_id!, installation, { actor }),
      );
    },
    ...userHandlers(deps.users, (request) => readBody(request, userChangeRequestSchema)),
  };
}

/** The listing's query as the inventory's filter (its own checks refuse the rest). */
function inventoryFilterOf(query: Record<string, unknown>): InventoryFilter {
  const text = (name: string) => query[name] as string | undefined;
  const seenSince = text('seen_since');
  const parsed = seenSince === undefined ? undefined : Date.parse(seenSince);
  if (parsed !== undefined && Number.isNaN(parsed))
    throw invalidAdminRequest('parameter_invalid', 'seen_since must be an ISO 8601 time');
  return {
    kind: text('kind'),
    state: text('state'),
    tier: text('tier'),
    domain: text('domain'),
    softwareId: text('software_id'),
    owner: text('owner'),
    label: text('label'),
    seenSince: parsed,
    idleDays: query.idle_days as number | undefined,
    sort: text('sort'),
    cursor: text('cursor'),
    limit: query.limit as number | undefined,
    installationsOf: text('installations_of'),
  };
}

/** The one member named (the inventory refuses none or several: invalid_blast_radius_target). */
function reachTargetOf(given: Record<string, unknown>): ReachTarget {
  const named = {
    clientId: given.client_id,
    domain: given.domain,
    softwareId: given.software_id,
    user: given.user,
  };
  return Object.fromEntries(Object.entries(named).filter(([, value]) => value !== undefined)) as ReachTarget;
}

/** Path parameters as the operation declares them (a client_id or selector of at most 2048 characters). */
function checkedParameters(
  operation: AdminOperation,
  params: Record<string, string>,
): Record<string, string> {
  if (operation.parameters === undefined) return params;
  const checked = operation.parameters.safeParse(params);
  if (!checked.success) throw invalidAdminRequest('parameter_invalid', describeIssue(checked.error));
  return checked.data as Record<string, string>;
}

/** Query parameters as the operation declares them; any other parameter is refused. */
function checkedQuery(operation: AdminOperation, request: Request): Record<string, unknown> {
  if (operation.query === undefined) return {};
  const given = Object.fromEntries(new URL(request.url).searchParams);
  const checked = operation.query.safeParse(given);
  if (!checked.success) throw invalidAdminRequest('parameter_invalid', describeIssue(checked.error));
  return checked.data;
}

/** A JSON object body, parsed by the operation's schema; every failure is a 400 (413 when too large). */
async function readBody<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
): Promise<z.output<Schema>> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw invalidAdminRequest('content_type', 'the request body must be application/json');
  const text = await readCappedText(request, MAX_ADMIN_BODY_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidAdminRequest('body_not_json', 'the request body is not valid JSON');
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) throw invalidAdminRequest('body_invalid', describeIssue(checked.error));
  return checked.data;
}

function describeIssue(error: z.ZodError): string {
  const [issue] = error.issues;
  if (issue === undefined) return 'invalid';
  const at = issue.path.length === 0 ? 'body' : issue.path.join('.');
  return `${at}: ${issue.message}`;
}

function invalidAdminRequest(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_request', { reason, description });
}

function notFound(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_request', { status: 404, reason, description });
}
