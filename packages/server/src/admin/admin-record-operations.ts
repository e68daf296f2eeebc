import { documentEvictionSchema, documentRefreshSchema } from './admin-document-freshness.ts';
import {
  diffQuerySchema,
  documentHistorySchema,
  historyQuerySchema,
  versionDiffSchema,
} from './admin-history-schemas.ts';
import type { AdminOperation } from './admin-operation.ts';
import {
  auditEventSchema,
  auditExportQuerySchema,
  auditPageSchema,
  auditQuerySchema,
  clientIdParameterSchema,
} from './admin-schemas.ts';
import {
  blastRadiusSchema,
  connectionSchema,
  connectionsSchema,
  grantIdParameterSchema,
  installationRevocationRequestSchema,
  installationRevocationSchema,
  inventoryDetailSchema,
  inventoryPageSchema,
  inventoryQuerySchema,
  operatorFieldsChangeSchema,
  operatorFieldsRequestSchema,
  reachTargetSchema,
  revokedReachSchema,
  userParameterSchema,
} from './inventory-schemas.ts';

/**
 * The admin API operations that read and act on what the server knows of clients (issue #14): the
 * audit log, document history and freshness, the inventory, blast radius and connections. Part of
 * the one operation table (admin-openapi.ts ADMIN_OPERATIONS).
 */
export const RECORD_OPERATIONS = {
  listAudit: {
    method: 'get',
    path: '/admin/v1/audit',
    scope: 'read',
    summary: 'audit events, newest first, a page at a time: by client, user, type, actor and time range',
    description:
      'Every event type and its fields are listed in docs/audit-events.md. Walk the pages with `cursor`: each event is read once even while new ones are written.',
    query: auditQuerySchema,
    answer: auditPageSchema,
    refusals: ['400', '404'],
  },
  exportAudit: {
    method: 'get',
    path: '/admin/v1/audit.jsonl',
    scope: 'read',
    summary: 'every audit event the filters select, newest first, streamed as JSON Lines',
    description:
      'One AuditEvent per line, written as the store is read a page at a time, so an export of millions of events neither waits for the last one nor holds them in memory.',
    query: auditExportQuerySchema,
    answer: auditEventSchema,
    answerType: 'application/jsonl',
    refusals: ['400', '404'],
  },
  clientHistory: {
    method: 'get',
    path: '/admin/v1/clients/{client_id}/history',
    scope: 'read',
    summary: "a client's document history: the versions accepted and every fetch with its outcome",
    description:
      'Versions newest first, numbered from 1; fetches newest first, a page at a time (`limit`, `before`), each with its outcome, reason, status, headers, the address dialled and the TLS certificate. 404 when the server knows nothing of the client. See docs/document-history.md.',
    parameters: clientIdParameterSchema,
    query: historyQuerySchema,
    answer: documentHistorySchema,
    refusals: ['400', '404'],
  },
  clientHistoryDiff: {
    method: 'get',
    path: '/admin/v1/clients/{client_id}/history/diff',
    scope: 'read',
    summary: 'the value-level diff of two versions of a client’s document',
    description:
      'Redirect URIs added and removed, keys added and removed by RFC 7638 thumbprint, jwks_uri, every other member before and after. `from` and `to` are version numbers or digests (a prefix of 8+ characters will do); 404 for a version that does not exist.',
    parameters: clientIdParameterSchema,
    query: diffQuerySchema,
    answer: versionDiffSchema,
    refusals: ['400', '404'],
  },
  refreshDocument: {
    method: 'post',
    path: '/admin/v1/clients/{client_id}/refresh',
    scope: 'write',
    summary: "re-fetch a document client's metadata document now; every instance uses the new version",
    description:
      "Through the server's own path: the URL and profile rules, validation, the change policy, the recording of the version. A fetch that fails changes nothing and answers outcome `failed` with its reason. 409 when CIMD is off or the client is blocked.",
    parameters: clientIdParameterSchema,
    answer: documentRefreshSchema,
    refusals: ['400', '409'],
  },
  evictDocument: {
    method: 'post',
    path: '/admin/v1/clients/{client_id}/evict',
    scope: 'write',
    summary: "drop a document client's cached metadata document on every instance; its next use fetches it",
    description: 'Nothing else of the client is removed: its versions, grants and tokens stay.',
    parameters: clientIdParameterSchema,
    answer: documentEvictionSchema,
    refusals: ['400', '404', '409'],
  },
  // The client inventory (issue #14, docs/inventory.md).
  listClients: {
    method: 'get',
    path: '/admin/v1/clients',
    scope: 'read',
    summary: 'the inventory: every client with its owner, state, tier and activity, filtered and paged',
    description:
      'Keyset pages: pass `next` as `cursor` for the following one. A state or tier filter decides at most 5,000 clients per page: a page may then be short and still have a `next`.',
    query: inventoryQuerySchema,
    answer: inventoryPageSchema,
    refusals: ['400'],
  },
  showClient: {
    method: 'get',
    path: '/admin/v1/clients/{client_id}',
    scope: 'read',
    summary:
      'one client of the inventory with its reach (`http://localhost`: every AT Protocol loopback client)',
    parameters: clientIdParameterSchema,
    answer: inventoryDetailSchema,
    refusals: ['404'],
  },
  setOperatorFields: {
    method: 'patch',
    path: '/admin/v1/clients/{client_id}',
    scope: 'write',
    summary: "set the operator's fields of a client: owner, team, contact, labels, note",
    parameters: clientIdParameterSchema,
    body: operatorFieldsRequestSchema,
    answer: operatorFieldsChangeSchema,
    refusals: ['400', '404'],
  },
  blastRadius: {
    method: 'get',
    path: '/admin/v1/blast-radius',
    scope: 'read',
    summary: 'what a client, a domain (with its subdomains), a software_id or a user reaches now',
    description: 'Name exactly one of client_id, domain, software_id, user in the query.',
    query: reachTargetSchema,
    answer: blastRadiusSchema,
    refusals: ['400', '404'],
  },
  revokeBlastRadius: {
    method: 'post',
    path: '/admin/v1/blast-radius/revocations',
    scope: 'write',
    summary:
      'revoke every grant and session a client, domain, software_id or user holds, answering the counts before and after',
    body: reachTargetSchema,
    answer: revokedReachSchema,
    refusals: ['400', '404'],
  },
  userConnections: {
    method: 'get',
    path: '/admin/v1/users/{user}/connections',
    scope: 'read',
    summary: "a user's live grants, per client and installation",
    parameters: userParameterSchema,
    answer: connectionsSchema,
    refusals: ['404'],
  },
  clientConnections: {
    method: 'get',
    path: '/admin/v1/clients/{client_id}/connections',
    scope: 'read',
    summary: "a client's live grants, per user",
    parameters: clientIdParameterSchema,
    answer: connectionsSchema,
    refusals: ['404'],
  },
  revokeConnection: {
    method: 'delete',
    path: '/admin/v1/connections/{grant_id}',
    scope: 'write',
    summary: 'revoke one connection (a grant) and its sessions; answers it as it was',
    parameters: grantIdParameterSchema,
    answer: connectionSchema,
    refusals: ['404'],
  },
  revokeInstallation: {
    method: 'post',
    path: '/admin/v1/connections/{grant_id}/installation-revocations',
    scope: 'write',
    summary:
      'revoke one installation (machine) of a connection, leaving the others; the grant goes with its last installation',
    description:
      'The installation is the `key` of one of the connection’s `installations` (docs/inventory.md, "Installations").',
    parameters: grantIdParameterSchema,
    body: installationRevocationRequestSchema,
    answer: installationRevocationSchema,
    refusals: ['400', '404'],
  },
} as const satisfies Record<string, AdminOperation>;
