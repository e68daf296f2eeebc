import { audienceOf } from '../authorization/scope-policy.ts';
import type { ServerContext } from '../context.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import type { ClientRecord, TokenFamilyRecord } from '../store/store.ts';
import { signAccessToken } from './access-token.ts';

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** Whether this client gets refresh tokens at all: only when it registered the grant (RFC 7591 §2). */
export function issuesRefreshTokens(client: ClientRecord): boolean {
  return client.metadata.grant_types.includes('refresh_token');
}

/**
 * Access token for the family's user and client, audience-bound to `resources` (RFC 8707 §2.2), and
 * the family's next refresh token when given one to hand out.
 */
export async function tokenResponse(
  ctx: ServerContext,
  family: TokenFamilyRecord,
  granted: { scope: readonly string[]; resources: readonly string[] },
  refreshToken: string | undefined,
): Promise<TokenResponse> {
  const now = ctx.clock();
  const expiresAt = now + ctx.lifetimes.accessTokenSeconds * 1000;
  const accessToken = await signAccessToken(ctx.keys, {
    issuer: ctx.issuer,
    subject: family.userId,
    audience: audienceOf(granted.resources, ctx.resources, ctx.issuer),
    clientId: family.clientId,
    scope: granted.scope,
    familyId: family.id,
    authTime: family.authTime,
    issuedAt: now,
    expiresAt,
  });
  const response: TokenResponse = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ctx.lifetimes.accessTokenSeconds,
    scope: granted.scope.join(' '),
  };
  if (refreshToken !== undefined) response.refresh_token = refreshToken;
  return response;
}

/** A new refresh token of a family: the value to hand out and the record to store. */
export function mintRefreshToken(ctx: ServerContext, family: TokenFamilyRecord) {
  const value = randomToken();
  const now = ctx.clock();
  return {
    value,
    record: {
      digest: digest(value),
      familyId: family.id,
      issuedAt: now,
      // Never beyond the family's absolute end: refreshing does not extend a login forever.
      expiresAt: Math.min(now + ctx.lifetimes.refreshTokenSeconds * 1000, family.expiresAt),
    },
  };
}
