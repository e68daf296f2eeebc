import { OAuthError, parseScope } from '@gatehouse-oauth/core';
import { decodeJwt, type JWTPayload } from 'jose';
import type { AuthenticatedClient } from '../clients/client-authentication.ts';
import type { WorkloadRule } from '../config/jwt-bearer-schema.ts';
import type { ServerContext } from '../context.ts';
import type { ClientTier } from '../governance/tier-policy.ts';
import type { ClientRecord } from '../store/store.ts';
import { issueClientToken } from '../tokens/client-token.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import { freshGrant } from './assertion-tokens.ts';
import {
  JWT_BEARER_GRANT_TYPE,
  peekAssertion,
  refuseGrant,
  verifyAssertion,
} from './jwt-bearer-assertion.ts';
import type { WorkloadIssuer } from './jwt-bearer-settings.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';

/**
 * Workload identity federation (SEP-1933): a workload presents the JWT its platform issued it (a CI
 * job's OIDC token, a Kubernetes service-account token) with the jwt-bearer grant, and holds no
 * secret of ours. The token is its credential: verified here in place of client authentication
 * (./jwt-bearer-assertion.ts: signature, aud = this server or the configured audience, lifetime,
 * jti across instances), then the issuer's first matching rule names the client it is governed as.
 * That client is recorded on the first accepted exchange (kind `workload`), and from then on is a
 * client like any other: in the inventory, approved or pending or blocked by governance (resolved
 * through the admission decorator), placed in a tier. A token no rule matches is refused before
 * anything is recorded.
 */
export const WORKLOAD_METHOD = 'workload_token';

export async function authenticateWorkload(
  ctx: Pick<ServerContext, 'clientAssertions' | 'store' | 'clients' | 'audit' | 'clock'>,
  assertion: string,
  workload: WorkloadIssuer,
): Promise<AuthenticatedClient> {
  const now = ctx.clock();
  const payload = await verifyAssertion(assertion, workload.trusted, ctx.clientAssertions, now, {
    replayPrefix: 'workload',
  });
  const match = matchingRule(workload.rules, payload);
  if (match === undefined)
    throw refuseGrant('workload_no_rule', 'no workload identity rule matches this token');
  if ((await ctx.store.clients.get(match.clientId)) === undefined) {
    await ctx.store.clients.put(workloadRecord(match.clientId, now));
    await ctx.audit({
      type: 'client.discovered',
      clientId: match.clientId,
      detail: { kind: 'workload', issuer: workload.trusted.issuer, subject: payload.sub },
    });
  }
  // Through the resolver, so admission decides: a blocked workload is refused here (client_blocked).
  const client = await ctx.clients.resolve(match.clientId);
  if (client === undefined) throw refuseGrant('workload_no_rule', 'the workload client is gone');
  return { client, method: WORKLOAD_METHOD };
}

/** The stored record of a workload client: no redirect, no secret, only this grant. */
function workloadRecord(clientId: string, now: number): ClientRecord {
  return {
    clientId,
    kind: 'workload',
    metadata: {
      client_id: clientId,
      client_name: clientId,
      redirect_uris: [],
      grant_types: [JWT_BEARER_GRANT_TYPE],
      response_types: [],
      token_endpoint_auth_method: 'none',
    } as unknown as ClientRecord['metadata'],
    createdAt: now,
    updatedAt: now,
  };
}

/** The first rule whose `match` the verified claims satisfy, with the client_id it names. */
export function matchingRule(
  rules: readonly WorkloadRule[],
  payload: JWTPayload,
): { rule: WorkloadRule; clientId: string } | undefined {
  for (const rule of rules) {
    if (rule.match.sub !== undefined && !matches(rule.match.sub, payload.sub)) continue;
    if (!Object.entries(rule.match.claims).every(([name, pattern]) => matches(pattern, payload[name])))
      continue;
    const clientId = expand(rule.clientId, payload);
    if (clientId !== undefined) return { rule, clientId };
  }
  return undefined;
}

/** `*` is any run of characters; everything else is literal. Only string claims match. */
function matches(pattern: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** `{claim}` replaced by that claim's string value; undefined when one is missing or unprintable. */
function expand(template: string, payload: JWTPayload): string | undefined {
  let missing = false;
  const expanded = template.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, name: string) => {
    const value = payload[name];
    if (typeof value !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(value)) {
      missing = true;
      return '';
    }
    return value;
  });
  return missing || expanded.length > 256 ? undefined : expanded;
}

/**
 * The grant for an authenticated workload: a token it holds for itself (its own client_id is the
 * subject, no user, no token family), the audience from `resource`, the scope within both its rule's
 * `scope` and its tier's ceiling; no refresh token.
 */
export async function workloadGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
  assertion: string,
  workload: WorkloadIssuer,
): Promise<TokenResponse> {
  // Verified by authenticateWorkload in this request: read again only for the rule and the audit.
  const payload = decodeJwt(assertion);
  const match = matchingRule(workload.rules, payload);
  if (match === undefined || match.clientId !== request.client.clientId)
    throw refuseGrant('workload_no_rule', 'no workload identity rule matches this token');
  const asked = parseScope(request.parameters.get('scope'));
  const outside = asked.filter((value) => !match.rule.scope.includes(value));
  if (outside.length > 0) {
    throw new OAuthError('invalid_scope', {
      reason: 'scope_not_allowed',
      description: `scope not allowed for this workload: ${outside.slice(0, 5).join(' ')}`,
    });
  }
  const requested = request.raw.getAll('resource');
  const granted = freshGrant(ctx, tier, requested, asked.length > 0 ? asked.join(' ') : undefined);
  // A workload has no user: the token is one the client holds for itself, issued by the same path
  // as client_credentials (tokens/client-token.ts), so no family and no stand-in user.
  return issueClientToken(ctx, request.client, tier.policy, {
    grantType: 'jwt-bearer',
    resources: granted.resources,
    // With no scope asked, the resources' defaults that its rule allows.
    scope: granted.scope.filter((value) => match.rule.scope.includes(value)),
    dpopJkt: request.dpop?.jkt,
    detail: {
      assertion: 'workload',
      issuer: workload.trusted.issuer,
      subject: payload.sub,
      jti: payload.jti,
    },
  });
}

/**
 * At the token endpoint, in place of client authentication: a jwt-bearer request whose assertion
 * comes from a workload issuer authenticates as the workload. Undefined for every other request.
 * Client credentials beside a workload token are refused: one request, one credential (RFC 6749 §2.3).
 */
export async function workloadAuthentication(
  ctx: Pick<ServerContext, 'clientAssertions' | 'store' | 'clients' | 'audit' | 'clock' | 'jwtBearer'>,
  request: Request,
  parameters: { get(name: string): string | undefined },
): Promise<AuthenticatedClient | undefined> {
  if (parameters.get('grant_type') !== JWT_BEARER_GRANT_TYPE) return undefined;
  const assertion = parameters.get('assertion');
  if (assertion === undefined || ctx.jwtBearer.workloadIssuers.size === 0) return undefined;
  const workload = ctx.jwtBearer.workloadIssuers.get(peekAssertion(assertion).iss);
  if (workload === undefined) return undefined;
  const credentials = ['client_secret', 'client_assertion', 'client_assertion_type'].some(
    (name) => parameters.get(name) !== undefined,
  );
  if (credentials || request.headers.get('authorization') !== null) {
    throw new OAuthError('invalid_request', {
      reason: 'multiple_auth_methods',
      description: 'a workload token is the credential: send no client credentials with it',
    });
  }
  const authenticated = await authenticateWorkload(ctx, assertion, workload);
  // A client_id beside the token must be the one its rule names (RFC 7521 §4.1: optional).
  const named = parameters.get('client_id');
  if (named !== undefined && named !== authenticated.client.clientId) {
    throw new OAuthError('invalid_request', {
      reason: 'client_id_conflict',
      description: 'client_id differs from the client the workload token maps to',
    });
  }
  return authenticated;
}
