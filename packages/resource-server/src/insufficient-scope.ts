import { OAuthError } from '@gatehouse-oauth/core';
import type { Refusal } from './challenge.ts';

/** Scope hierarchy (MCP-16): a granted scope implies these others, transitively. */
export type ScopeImplications = Readonly<Record<string, readonly string[]>>;

/**
 * RFC 6750 §3.1, MCP-16: 403 naming the scopes this request needs (all of them, per SEP-2350
 * not the union with what the token has: the client computes the union itself). Shared by
 * `authenticate` and `checkScopes`. The scheme is the token's: after checkDpop a request used
 * the DPoP scheme exactly when its token is DPoP-bound (RFC 9449 §7.1, §7.2).
 */
export function insufficientScope(
  granted: readonly string[],
  dpopBound: boolean,
  required: readonly string[],
  implies: ScopeImplications | undefined,
): Refusal | undefined {
  const all = grantedWithImplied(granted, implies);
  if (required.every((scope) => all.has(scope))) return undefined;
  return {
    error: new OAuthError('insufficient_scope', {
      reason: 'scope_insufficient',
      description: 'the access token does not carry the scope this request needs',
    }),
    schemes: [dpopBound ? 'DPoP' : 'Bearer'],
    withError: true,
    scope: required,
  };
}

function grantedWithImplied(granted: readonly string[], implies: ScopeImplications | undefined): Set<string> {
  const all = new Set(granted);
  const pending = [...granted];
  for (let scope = pending.pop(); scope !== undefined; scope = pending.pop()) {
    for (const implied of implies?.[scope] ?? []) {
      if (!all.has(implied)) {
        all.add(implied);
        pending.push(implied);
      }
    }
  }
  return all;
}
