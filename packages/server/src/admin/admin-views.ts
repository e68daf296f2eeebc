/**
 * The admin API's answers from the server's records: snake_case members, ISO 8601 times, `null`
 * for "none" where the schema says so. Typed by the schemas' output types (admin-schemas.ts), so
 * an answer that drifts from the OpenAPI document does not compile.
 */
import type { AdmissionDecision, GovernanceRule } from '@gatehouse-oauth/core';
import type { CascadeResult, RemovalResult } from '../clients/client-lifecycle.ts';
import type { BlockResult, ListedRule, RuleChange } from '../governance/governance-admin.ts';
import type { AccessRequest, AuditEvent, ClientHold, StoredRule } from '../store/store.ts';
import type {
  AccessRequestsJson,
  AdminTokenJson,
  AuditEventJson,
  BlockResultJson,
  CascadeJson,
  DecisionJson,
  RemovalJson,
  RuleChangeJson,
  RuleJson,
  StoredRuleJson,
} from './admin-schemas.ts';
import type { AdminTokenView } from './admin-tokens.ts';

const iso = (time: number) => new Date(time).toISOString();

/** The members that are set; an absent one is left out of the JSON, never written as null. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

export function ruleJson(rule: ListedRule): RuleJson {
  return defined({
    selector: rule.selector,
    state: rule.state,
    tier: rule.tier,
    origin: rule.origin,
    owner: rule.owner,
    note: rule.note,
    updated_by: rule.updatedBy,
    updated_at: rule.updatedAt === undefined ? undefined : iso(rule.updatedAt),
  });
}

export function storedRuleJson(rule: StoredRule): StoredRuleJson {
  return defined({
    selector: rule.selector,
    state: rule.state,
    tier: rule.tier,
    owner: rule.owner,
    note: rule.note,
    updated_by: rule.updatedBy,
    created_at: iso(rule.createdAt),
    updated_at: iso(rule.updatedAt),
  });
}

export function ruleChangeJson(change: RuleChange): RuleChangeJson {
  return {
    selector: change.selector,
    before: change.before === undefined ? null : storedRuleJson(change.before),
    after: change.after === undefined ? null : storedRuleJson(change.after),
    ...(change.fileRule === undefined ? {} : { file_rule: ruleJson(change.fileRule) }),
  };
}

export function cascadeJson(clientId: string, result: CascadeResult): CascadeJson {
  return {
    client_id: clientId,
    grants_revoked: result.grantsRevoked,
    families_revoked: result.familiesRevoked,
    codes_deleted: result.codesDeleted,
    requests_deleted: result.requestsDeleted,
  };
}

export function blockResultJson(result: BlockResult): BlockResultJson {
  return {
    ...ruleChangeJson(result),
    revoked: result.revoked.map(({ clientId, result: cascade }) => cascadeJson(clientId, cascade)),
  };
}

export function removalJson(clientId: string, result: RemovalResult): RemovalJson {
  return {
    ...cascadeJson(clientId, result),
    existed: result.existed,
    document_versions_deleted: result.documentVersionsDeleted,
  };
}

export function accessRequestsJson(pending: {
  requests: AccessRequest[];
  holds: ClientHold[];
}): AccessRequestsJson {
  return {
    requests: pending.requests.map((request) =>
      defined({
        client_id: request.clientId,
        user_id: request.userId,
        client_name: request.clientName,
        first_at: iso(request.firstAt),
        last_at: iso(request.lastAt),
        attempts: request.attempts,
      }),
    ),
    holds: pending.holds.map((hold) => ({ client_id: hold.clientId, reason: hold.reason, at: iso(hold.at) })),
  };
}

function decidingRule(rule: GovernanceRule | undefined) {
  return rule === undefined
    ? undefined
    : defined({
        selector: rule.selector,
        state: rule.state,
        tier: rule.tier,
        origin: rule.origin,
        note: rule.note,
      });
}

export function decisionJson(clientId: string, decision: AdmissionDecision): DecisionJson {
  return defined({
    client_id: clientId,
    state: decision.state,
    tier: decision.tier,
    admitted: decision.admitted,
    refusal: decision.refusal,
    state_rule: decidingRule(decision.stateRule),
    tier_rule: decidingRule(decision.tierRule),
    reasons: decision.reasons,
  });
}

export function adminTokenJson(token: AdminTokenView): AdminTokenJson {
  return defined({
    id: token.id,
    scope: token.scope,
    label: token.label,
    state: token.state,
    created_by: token.createdBy,
    created_at: iso(token.createdAt),
    expires_at: token.expiresAt === undefined ? undefined : iso(token.expiresAt),
    revoked_at: token.revokedAt === undefined ? undefined : iso(token.revokedAt),
  });
}

export function auditEventJson(event: AuditEvent): AuditEventJson {
  return defined({
    at: iso(event.at),
    type: event.type,
    client_id: event.clientId,
    user_id: event.userId,
    reason: event.reason,
    actor: event.actor,
    detail: event.detail,
  });
}
