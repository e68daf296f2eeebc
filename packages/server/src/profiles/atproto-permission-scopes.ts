import {
  AccountPermission,
  BlobPermission,
  IdentityPermission,
  IncludeScope,
  isAtprotoOauthScope,
  isScopeStringFor,
  isStaticScopeValue,
  type LexiconPermissionSet,
  RepoPermission,
  RpcPermission,
  ScopesSet,
} from '@atproto/oauth-scopes';
import { OAuthError } from '@gatehouse-oauth/core';
import type { ScopeRules } from './profile.ts';

/**
 * The granular permission scopes of the AT Protocol Permission spec (AT-16): `repo:`, `rpc:`,
 * `blob:`, `account:`, `identity:` and `include:` permission sets. Parsed, validated and matched
 * by `@atproto/oauth-scopes`, the reference library, so Gatehouse reads a scope exactly as the PDS
 * that checks it will (decision 0037); nothing here parses the grammar itself. Pure functions.
 */

const FAMILIES = ['repo', 'rpc', 'blob', 'account', 'identity', 'include'] as const;

/** Whether a scope is written in one of the permission families, well-formed or not. */
export function isPermissionFamily(scope: string): boolean {
  return FAMILIES.some((family) => isScopeStringFor(scope, family));
}

/**
 * A well-formed permission scope (any family, `include:` too), as the library reads it. The static
 * scopes (`atproto`, `transition:*`) are not: they stay plain configured scopes.
 */
export function isPermissionScope(scope: string): boolean {
  return !isStaticScopeValue(scope) && isPermissionFamily(scope) && isAtprotoOauthScope(scope);
}

/** The `include:` scope, parsed; undefined for any other scope. */
export function includeScopeOf(scope: string): IncludeScope | undefined {
  return IncludeScope.fromString(scope) ?? undefined;
}

/**
 * AT-16 on a request, before the generic scope policy: a scope written in a permission family must
 * be well-formed (`atproto_scope_malformed`), and a permission set is refused outright when
 * resolution is turned off (`atproto.permissionSets: refuse`, `atproto_permission_sets_off`), so
 * the client is told why rather than meeting a generic `scope_not_allowed`.
 */
export function checkPermissionScopes(
  requested: readonly string[],
  permissionSets: 'resolve' | 'refuse',
  redirectable: boolean,
): void {
  for (const scope of requested) {
    if (!isPermissionFamily(scope) || isStaticScopeValue(scope)) continue;
    if (!isAtprotoOauthScope(scope)) {
      throw new OAuthError('invalid_scope', {
        reason: 'atproto_scope_malformed',
        description: `not a valid AT Protocol permission scope: ${scope.slice(0, 200)}`,
        redirectable,
      });
    }
    if (permissionSets === 'refuse' && includeScopeOf(scope) !== undefined) {
      throw new OAuthError('invalid_scope', {
        reason: 'atproto_permission_sets_off',
        description: `permission sets (include:) are not accepted by this server: ${scope.slice(0, 200)}`,
        redirectable,
      });
    }
  }
}

/**
 * Whether `granted` (a ceiling level: a tier's `scopes`, the client document's `scope`; or what a
 * grant holds) allows `scope`. Listed exactly, or a permission every part of which a listed
 * permission matches (the library's `matches`): `repo:app.bsky.feed.post?action=create` is within
 * `repo:*`, `rpc:*?aud=*` covers any method at any service, `account:email?action=manage` covers
 * reading it. A permission set (`include:`) is covered only by the same set (same NSID, same
 * `aud`): what it expands to is its publisher's, not known until it is resolved.
 */
export function permissionCovers(granted: readonly string[], scope: string): boolean {
  if (granted.includes(scope)) return true;
  if (isStaticScopeValue(scope) || !isPermissionFamily(scope)) return false;
  const include = includeScopeOf(scope);
  if (include !== undefined) return granted.some((entry) => sameInclude(includeScopeOf(entry), include));
  const set = new ScopesSet(granted);
  return matchesOf(scope).every((ask) => ask(set));
}

function sameInclude(a: IncludeScope | undefined, b: IncludeScope): boolean {
  return a !== undefined && a.nsid === b.nsid && a.aud === b.aud;
}

type Ask = (set: ScopesSet) => boolean;

/**
 * Everything a permission allows, as the library's match options: covered when the set matches
 * each. A scope the library does not read gets one ask nothing answers (no asks at all would make
 * `every` true).
 */
function matchesOf(scope: string): Ask[] {
  const never: Ask[] = [() => false];
  const repo = RepoPermission.fromString(scope);
  if (repo !== null) {
    return repo.collection.flatMap((collection) =>
      repo.action.map(
        (action): Ask =>
          (set) =>
            set.matches('repo', { collection, action }),
      ),
    );
  }
  const rpc = RpcPermission.fromString(scope);
  if (rpc !== null)
    return rpc.lxm.map(
      (lxm): Ask =>
        (set) =>
          set.matches('rpc', { lxm, aud: rpc.aud }),
    );
  const blob = BlobPermission.fromString(scope);
  if (blob !== null) {
    return blob.accept.map(
      (accept): Ask =>
        accept.endsWith('/*')
          ? (set) => coversRange(set, accept)
          : (set) => set.matches('blob', { mime: accept }),
    );
  }
  const account = AccountPermission.fromString(scope);
  if (account !== null) {
    return account.action.map(
      (action): Ask =>
        (set) =>
          set.matches('account', { attr: account.attr, action }),
    );
  }
  const identity = IdentityPermission.fromString(scope);
  if (identity !== null) return [(set) => set.matches('identity', { attr: identity.attr })];
  return never;
}

/**
 * A requested accept range (`image/*`, or everything): the library matches media types only, never
 * a range, so a range is covered by a blob permission (as the library parsed it) that accepts the
 * same range or everything.
 */
function coversRange(set: ScopesSet, range: string): boolean {
  for (const entry of set) {
    const accept: readonly string[] = BlobPermission.fromString(entry)?.accept ?? [];
    if (accept.includes('*/*') || accept.includes(range)) return true;
  }
  return false;
}

/**
 * The scope rules of the profile (profiles/profile.ts `scopeRules`): every resource offers the
 * well-formed permission scopes without listing them (they are about the account's PDS, which the
 * profile's resources are), and a ceiling covers a scope by the library's matching.
 */
export const atprotoScopeRules: ScopeRules = {
  offered: isPermissionScope,
  covers: permissionCovers,
};

/**
 * AT-16: the scope a token carries. Each `include:` is replaced by the permissions its set grants
 * (the library's `toScopes`, which keeps only `repo:` and `rpc:` entries under the set's own NSID
 * authority and ignores the rest, unknown entries included); every other scope is carried as
 * requested. Order kept, duplicates dropped.
 */
export function expandPermissionSets(
  scope: readonly string[],
  setOf: (nsid: string) => LexiconPermissionSet,
): string[] {
  const out = new Set<string>();
  for (const value of scope) {
    const include = includeScopeOf(value);
    if (include === undefined) out.add(value);
    else for (const permission of include.toScopes(setOf(include.nsid))) out.add(permission);
  }
  return [...out];
}
