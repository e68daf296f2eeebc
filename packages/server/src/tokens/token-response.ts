import { audienceOf } from '../authorization/scope-policy.ts';
import type { ServerContext } from '../context.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import type { ClientRecord, TokenFamilyRecord } from '../store/store.ts';
import { signAccessToken } from './access-token.ts';

/** What a token response needs: the signing keys, the lifetimes, the subject and the profile's fields. */
export type TokenIssuing = Pick<
  ServerContext,
  'clock' | 'issuer' | 'keys' | 'lifetimes' | 'profile' | 'resources' | 'subjectOf'
>;

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the access token is bound to a DPoP key (RFC 9449 §5), else `Bearer`. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** The user's subject, when the profile adds it (AT-10: a DID, which the client verifies). */
  sub?: string;
}

/** Whether this client gets refresh tokens at all: only when it registered the grant (RFC 7591 §2). */
export function issuesRefreshTokens(client: ClientRecord): boolean {
  return client.metadata.grant_types.includes('refresh_token');
}

/**
 * Access token for the family's user and client, audience-bound to `resources` (RFC 8707 §2.2), and
 * the family's next refresh token when given one to hand out. With `dpopJkt` the access token is
 * bound to that DPoP key (`cnf.jkt`, RFC 9449 §6) and its type is `DPoP` (§5).
 */
export async function tokenResponse(
  ctx: TokenIssuing,
  family: TokenFamilyRecord,
  granted: { scope: readonly string[]; resources: readonly string[] },
  refreshToken: string | undefined,
  dpopJkt?: string,
): Promise<TokenResponse> {
  const now = ctx.clock();
  const expiresAt = now + ctx.lifetimes.accessTokenSeconds * 1000;
  // The configured subject supplier (users/subject.ts); the user id by default.
  const subject = await ctx.subjectOf(family.userId);
  const accessToken = await signAccessToken(ctx.keys, {
    issuer: ctx.issuer,
    subject,
    audience: audienceOf(granted.resources, ctx.resources, ctx.issuer),
    clientId: family.clientId,
    scope: granted.scope,
    familyId: family.id,
    authTime: family.authTime,
    issuedAt: now,
    expiresAt,
    ...(dpopJkt === undefined ? {} : { confirmationJkt: dpopJkt }),
  });
  const response: TokenResponse = {
    access_token: accessToken,
    token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: ctx.lifetimes.accessTokenSeconds,
    scope: granted.scope.join(' '),
  };
  if (refreshToken !== undefined) response.refresh_token = refreshToken;
  // The profile's fields (atproto: sub, AT-10).
  return { ...response, ...ctx.profile.tokenResponseFields?.({ subject }) };
}

/**
 * Whether the lifetimes of confidential clients apply: the client authenticated at the token
 * endpoint (private_key_jwt, client_secret_*), not a public client (`none`). AT-10.
 */
export function isConfidentialAuthentication(method: string): boolean {
  return method !== 'none';
}

/** The absolute lifetime of a new token family (AT-10: confidential clients may have longer ones). */
export function tokenFamilySecondsFor(ctx: Pick<ServerContext, 'lifetimes'>, confidential: boolean): number {
  return confidential
    ? (ctx.lifetimes.confidentialTokenFamilySeconds ?? ctx.lifetimes.tokenFamilySeconds)
    : ctx.lifetimes.tokenFamilySeconds;
}

/** The lifetime of each refresh token (AT-10: ≤ 14 days public, ≤ 180 days confidential). */
export function refreshTokenSecondsFor(ctx: Pick<ServerContext, 'lifetimes'>, confidential: boolean): number {
  return confidential
    ? (ctx.lifetimes.confidentialRefreshTokenSeconds ?? ctx.lifetimes.refreshTokenSeconds)
    : ctx.lifetimes.refreshTokenSeconds;
}

/**
 * A new refresh token of a family: the value to hand out and the record to store. `confidential`:
 * the client authenticated with this request (isConfidentialAuthentication).
 */
export function mintRefreshToken(
  ctx: Pick<ServerContext, 'clock' | 'lifetimes'>,
  family: TokenFamilyRecord,
  confidential: boolean,
) {
  const value = randomToken();
  const now = ctx.clock();
  return {
    value,
    record: {
      digest: digest(value),
      familyId: family.id,
      issuedAt: now,
      // Never beyond the family's absolute end: refreshing does not extend a login forever.
      expiresAt: Math.min(now + refreshTokenSecondsFor(ctx, confidential) * 1000, family.expiresAt),
    },
  };
}
