import type { TokenResponse } from '../tokens/token-response.ts';
import { authorizationCodeGrant } from './authorization-code-grant.ts';
import { refreshTokenGrant } from './refresh-token-grant.ts';
import type { GrantDeps, TokenRequest } from './token-request.ts';

/** A grant type of RFC 6749 §4/§6: an authenticated token request in, tokens out. */
export type Grant = (ctx: GrantDeps, request: TokenRequest) => Promise<TokenResponse>;

const GRANTS: Record<string, Grant> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
};

/** What the token endpoint accepts and the metadata advertises (RFC 8414 grant_types_supported). */
export const SUPPORTED_GRANT_TYPES = Object.keys(GRANTS);

/** The grant of a `grant_type`, or undefined for one this server does not support. */
export function grantOfType(grantType: string): Grant | undefined {
  return Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
}
