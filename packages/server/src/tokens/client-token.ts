import { audienceOf } from '../authorization/scope-policy.ts';
import type { TierPolicy } from '../config/governance-schema.ts';
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../store/store.ts';
import { signAccessToken } from './access-token.ts';
import { recordClientUse } from './client-use.ts';
import { issueLifetimes, type TokenResponse } from './token-response.ts';

/**
 * Access tokens a client holds for itself: no user, no session, so no token family is stored for
 * them. Two grants issue them, both through `issueClientToken` below: client_credentials
 * (MCP-EXT-CC, decision 0042) and a workload's own platform token at the jwt-bearer grant
 * (SEP-1933, decision 0043). Their `jti` still starts with a family-like id (the shape
 * access-token.ts gives every token), marked with a prefix no stored family id has (those are
 * UUIDs): introspection then knows not to look for a family or a user, and answers from the client's
 * standing and the revoked-jti list alone.
 */
const CLIENT_TOKEN_PREFIX = 'client-';

/** A fresh family-like id for one client token (no dot: the jti's family part ends at the first). */
export function clientTokenFamilyId(): string {
  return `${CLIENT_TOKEN_PREFIX}${crypto.randomUUID()}`;
}

/** Whether the family part of an access token's jti marks a token a client holds for itself. */
export function isClientTokenFamilyId(familyId: string): boolean {
  return familyId.startsWith(CLIENT_TOKEN_PREFIX);
}

/** What issuing a client token needs: signing, lifetimes, the profile's scope mapping, audit, store. */
export type ClientTokenIssuing = Pick<
  ServerContext,
  'clock' | 'issuer' | 'keys' | 'lifetimes' | 'profile' | 'resources' | 'audit' | 'store' | 'logger'
>;

/** What the grant decided: resources and scope already within the tier, and how it was asked. */
export interface ClientTokenGrant {
  /** The `grant_type` of the `token.issued` audit event (the inventory and metrics count by it). */
  grantType: 'client_credentials' | 'jwt-bearer';
  resources: readonly string[];
  scope: readonly string[];
  /** RFC 9449 §5: the verified proof's key thumbprint; the token is then bound to it (`cnf.jkt`). */
  dpopJkt: string | undefined;
  /** The audit's detail beyond the token: how the client authenticated, which assertion. */
  detail: Record<string, unknown>;
}

/**
 * The one way a token a client holds for itself is issued: `sub` and `client_id` are the client_id
 * (RFC 9068 §2.2: the client acting on its own behalf), `aud` the resources (RFC 8707, MCP-9),
 * DPoP-bound when a proof was sent, the tier's access token lifetime, and no refresh token (RFC 6749
 * §4.4.3; decision 0043 for assertions). Audited `token.issued` with the client and no user, and
 * counted as the client's use, so the inventory's token counts and the blast radius see it.
 */
export async function issueClientToken(
  ctx: ClientTokenIssuing,
  client: ClientRecord,
  policy: Pick<TierPolicy, 'accessTokenSeconds' | 'refreshTokenSeconds' | 'tokenFamilySeconds'>,
  grant: ClientTokenGrant,
): Promise<TokenResponse> {
  const now = ctx.clock();
  // Only confidential clients and workloads (their platform token is the credential) get here.
  const { accessTokenSeconds } = issueLifetimes(ctx, true, policy);
  const familyId = clientTokenFamilyId();
  const scope = (await ctx.profile.tokenScope?.(grant.scope)) ?? grant.scope;
  const { dpopJkt } = grant;
  const accessToken = await signAccessToken(ctx.keys, {
    issuer: ctx.issuer,
    subject: client.clientId,
    audience: audienceOf(grant.resources, ctx.resources, ctx.issuer),
    clientId: client.clientId,
    scope,
    familyId,
    authTime: now,
    issuedAt: now,
    expiresAt: now + accessTokenSeconds * 1000,
    ...(dpopJkt === undefined ? {} : { confirmationJkt: dpopJkt }),
  });
  await ctx.audit({
    type: 'token.issued',
    clientId: client.clientId,
    detail: {
      grant_type: grant.grantType,
      family_id: familyId,
      scope,
      resources: grant.resources,
      ...grant.detail,
    },
  });
  await recordClientUse(ctx, client, now);
  return {
    access_token: accessToken,
    token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: accessTokenSeconds,
    scope: scope.join(' '),
  };
}
