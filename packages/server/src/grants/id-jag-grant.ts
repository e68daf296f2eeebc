import { OAuthError, readRepeatedParameter, resolveResources } from '@gatehouse-oauth/core';
import type { ClientTier } from '../governance/tier-policy.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import { requireUserInGoodStanding } from '../users/user-standing.ts';
import { freshGrant, issueForAssertion } from './assertion-tokens.ts';
import { enterpriseAccount } from './enterprise-account.ts';
import { refuseGrant, verifyAssertion } from './jwt-bearer-assertion.ts';
import type { IdentityProvider } from './jwt-bearer-settings.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';

/** The JOSE header type of an Identity Assertion JWT Authorization Grant (MCP-EXT-EMA). */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';

/**
 * Enterprise-managed authorization (MCP-EXT-EMA): an enterprise IdP the operator trusts issued the
 * user an ID-JAG for this server, and the client exchanges it here. RFC 7521 §5.2 and RFC 7523 §3
 * (./jwt-bearer-assertion.ts: typ, signature, aud = our issuer, exp, iat, nbf, jti across
 * instances), then what the extension adds: the client authenticated (a confidential client, as
 * the IdP's and our registrations of it are), the `client_id` claim is that client, the `resource`
 * claim covers what is asked for, the subject is a local account (./enterprise-account.ts), and the
 * client's admission and trust tier apply as to any grant (the token endpoint and `underTier`).
 */
export async function idJagGrant(
  ctx: GrantDeps,
  request: TokenRequest,
  tier: ClientTier,
  assertion: string,
  idp: IdentityProvider,
): Promise<TokenResponse> {
  const { client } = request;
  if (request.authentication.method === 'none') {
    throw new OAuthError('unauthorized_client', {
      reason: 'id_jag_public_client',
      description: 'an ID-JAG is exchanged by a client that authenticates',
    });
  }
  const now = ctx.clock();
  const payload = await verifyAssertion(assertion, idp.trusted, ctx.clientAssertions, now, {
    typ: ID_JAG_TYP,
    replayPrefix: 'id-jag',
  });
  if (payload.client_id !== client.clientId) {
    throw refuseGrant('id_jag_client_mismatch', 'the ID-JAG was issued to another client');
  }
  // The ID-JAG's resource bounds the request's: asking for more than the IdP allowed is refused.
  const allowed = claimList(payload.resource);
  const requested = readRepeatedParameter(request.raw, 'resource');
  if (allowed !== undefined) {
    const allowedResolved = resolveResources(allowed, ctx.resources.known, false);
    const asked = resolveResources(requested, ctx.resources.known, false);
    if (asked.some((resource) => !allowedResolved.includes(resource))) {
      throw refuseGrant('id_jag_resource_mismatch', 'the ID-JAG does not allow that resource');
    }
  }
  // Likewise its scope: the request may narrow it, never widen it.
  const assertedScope = typeof payload.scope === 'string' ? payload.scope : undefined;
  const askedScope = request.parameters.get('scope');
  if (assertedScope !== undefined && askedScope !== undefined) {
    const mine = new Set(assertedScope.split(' '));
    if (askedScope.split(' ').some((value) => value !== '' && !mine.has(value)))
      throw new OAuthError('invalid_scope', {
        reason: 'scope_exceeds_grant',
        description: 'scope exceeds what the ID-JAG grants',
      });
  }
  const granted = freshGrant(
    ctx,
    tier,
    requested.length > 0 ? requested : (allowed ?? []),
    askedScope ?? assertedScope,
  );
  const userId = await enterpriseAccount(ctx, idp, payload, client.clientId);
  await requireUserInGoodStanding(ctx, userId);
  return issueForAssertion(ctx, request, tier, {
    userId,
    ...granted,
    detail: { assertion: 'id-jag', issuer: idp.trusted.issuer, subject: payload.sub, jti: payload.jti },
  });
}

/** A claim that is one string or a list of strings; undefined when absent. */
function claimList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw refuseGrant('jwt_bearer_malformed', 'the ID-JAG resource claim must be a string or a list of them');
}
