import { audienceOf } from '../authorization/scope-policy.ts';
import type { TierPolicy } from '../config/governance-schema.ts';
import type { ServerContext } from '../context.ts';
import { refreshTokenDigest } from '../store/refresh-token-key.ts';
import type { ClientRecord, ReplayWindow, TokenFamilyRecord } from '../store/store.ts';
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

/**
 * Whether this client gets refresh tokens at all: only when it registered the grant (RFC 7591 §2)
 * and its trust tier allows refresh (issue #13, `refresh: false`; MCP-17: issuing them is the
 * server's choice).
 */
export function issuesRefreshTokens(client: ClientRecord, tier: Pick<TierPolicy, 'refresh'>): boolean {
  return tier.refresh && client.metadata.grant_types.includes('refresh_token');
}

/** What one token response carries beside the access token's claims. */
export interface TokenIssue {
  /** The family's next refresh token, when one is handed out. */
  refreshToken?: string | undefined;
  /** Binds the access token to this DPoP key (`cnf.jkt`, RFC 9449 §6); its type is then `DPoP` (§5). */
  dpopJkt?: string | undefined;
  accessTokenSeconds: number;
}

/**
 * Access token for the family's user and client, audience-bound to `resources` (RFC 8707 §2.2), and
 * the family's next refresh token when given one to hand out.
 */
export async function tokenResponse(
  ctx: TokenIssuing,
  family: TokenFamilyRecord,
  granted: { scope: readonly string[]; resources: readonly string[] },
  issue: TokenIssue,
): Promise<TokenResponse> {
  const { refreshToken, dpopJkt, accessTokenSeconds } = issue;
  const now = ctx.clock();
  const expiresAt = now + accessTokenSeconds * 1000;
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
    expires_in: accessTokenSeconds,
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

/** The lifetimes of what one token request issues, in seconds. */
export interface IssueLifetimes {
  accessTokenSeconds: number;
  /** Each refresh token (never beyond its family's end). */
  refreshTokenSeconds: number;
  /** The absolute lifetime of a new token family: one login. */
  tokenFamilySeconds: number;
}

/**
 * The lifetimes for a client: its trust tier's where the tier sets them (issue #13), for public and
 * confidential clients alike; else `lifetimes`, where confidential clients may have longer refresh
 * tokens and sessions (AT-10: ≤ 14 days public, ≤ 180 days confidential).
 */
export function issueLifetimes(
  ctx: Pick<ServerContext, 'lifetimes'>,
  confidential: boolean,
  tier: Pick<TierPolicy, 'accessTokenSeconds' | 'refreshTokenSeconds' | 'tokenFamilySeconds'>,
): IssueLifetimes {
  const { lifetimes } = ctx;
  return {
    accessTokenSeconds: tier.accessTokenSeconds ?? lifetimes.accessTokenSeconds,
    refreshTokenSeconds:
      tier.refreshTokenSeconds ??
      (confidential
        ? (lifetimes.confidentialRefreshTokenSeconds ?? lifetimes.refreshTokenSeconds)
        : lifetimes.refreshTokenSeconds),
    tokenFamilySeconds:
      tier.tokenFamilySeconds ??
      (confidential
        ? (lifetimes.confidentialTokenFamilySeconds ?? lifetimes.tokenFamilySeconds)
        : lifetimes.tokenFamilySeconds),
  };
}

/**
 * How long and how often a rotated refresh token or a redeemed code presented again gets the same
 * answer (decision 0036): `lifetimes.refreshGraceSeconds` and `lifetimes.refreshReuseCount`.
 */
export function replayWindow(ctx: Pick<ServerContext, 'lifetimes'>): ReplayWindow {
  return {
    graceMs: ctx.lifetimes.refreshGraceSeconds * 1000,
    reuseCount: ctx.lifetimes.refreshReuseCount,
  };
}

/**
 * A new refresh token of a family, living `seconds`: the value to hand out (derived from the code or
 * the token it follows, tokens/refresh-token-derivation.ts) and the record to store.
 */
export function mintRefreshToken(
  ctx: Pick<ServerContext, 'clock'>,
  family: TokenFamilyRecord,
  seconds: number,
  value: string,
) {
  const now = ctx.clock();
  return {
    value,
    record: {
      digest: refreshTokenDigest(value),
      familyId: family.id,
      issuedAt: now,
      // Never beyond the family's absolute end: refreshing does not extend a login forever.
      expiresAt: Math.min(now + seconds * 1000, family.expiresAt),
    },
  };
}
