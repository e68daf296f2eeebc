import { OAuthError, type RegistrationMetadata } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../store/store.ts';

/**
 * The scope limit of an initial access token (issue #4: "with scope/expiry/use-count limits"),
 * applied to the metadata a registration under it (RFC 7591 §3) or an update of that registration
 * (RFC 7592 §2.2) would store. The registered `scope` is what the authorization endpoint lets the
 * client obtain (authorization/scope-policy.ts), so bounding it bounds every token of the client.
 *
 * - No `scope` requested: the token's scope is registered (DCR-EP-4 / DCR-MD-7 default), so a
 *   limited token never yields an unlimited client.
 * - A `scope` within the limit: registered as requested.
 * - A `scope` outside it: refused, 400 `invalid_client_metadata` (DCR-EP-6 allows rejecting or
 *   replacing; DCR-ERR-2 says the code means "rejected, not replaced"). Narrowing silently would
 *   register a client that believes it holds scopes it can never obtain.
 */
export function applyScopeLimit(
  metadata: RegistrationMetadata,
  limit: string | undefined,
): RegistrationMetadata {
  if (limit === undefined) return metadata;
  const allowed = new Set(scopeTokens(limit));
  if (metadata.scope === undefined) return { ...metadata, scope: [...allowed].join(' ') };
  const outside = scopeTokens(metadata.scope).filter((scope) => !allowed.has(scope));
  if (outside.length > 0) {
    throw new OAuthError('invalid_client_metadata', {
      reason: 'scope_exceeds_initial_access_token',
      description: `scope not allowed by the initial access token: ${outside.slice(0, 5).join(' ')}`,
    });
  }
  return metadata;
}

/**
 * The scope limit a stored registration is held to on update: that of the initial access token it
 * was registered with, which keeps limiting after the token is revoked or spent (the record stays;
 * only a use is refused). Tokens are operator-issued and never deleted by Gatehouse, so the list is
 * short; a registration whose token record is gone (removed by hand) has no limit left to apply.
 */
export async function registeredScopeLimit(
  ctx: Pick<ServerContext, 'store'>,
  client: ClientRecord,
): Promise<string | undefined> {
  const id = client.registration?.initialAccessTokenId;
  if (id === undefined) return undefined;
  const tokens = await ctx.store.initialAccessTokens.list();
  return tokens.find((token) => token.id === id)?.scope;
}

function scopeTokens(scope: string): string[] {
  return scope.split(' ').filter((token) => token !== '');
}
