import type { LexiconPermissionSet } from '@atproto/oauth-scopes';
import { OAuthError } from '@gatehouse-oauth/core';
import { createLexiconResolver } from '../lexicon/lexicon-resolver.ts';
import {
  createPermissionSetCache,
  type PermissionSets,
  PermissionSetUnavailable,
} from '../lexicon/permission-set-cache.ts';
import type { AuthorizationServerOptions } from '../options.ts';
import { expandPermissionSets, includeScopeOf } from './atproto-permission-scopes.ts';
import { describeAtprotoScope, describePermissionSet } from './atproto-scope-descriptions.ts';
import type { ProfileDeps } from './profile.ts';

/**
 * AT-16 in the profile: `include:<nsid>` permission sets resolved from their Lexicon (the
 * `resolveLexicon` extension point, by default DNS → DID → PDS through the hardened fetcher),
 * cached with periodic re-resolution (lexicon/permission-set-cache.ts), resolved when a request is
 * pushed (so a set that cannot be read is refused then, not after the user consented), described on
 * the consent page, and expanded into the token's scope at every code exchange and refresh: a
 * token's permissions are fixed when it is issued and follow the set when it is refreshed.
 */
export interface AtprotoPermissionSets {
  /** At PAR: every requested set can be resolved now, or the request is refused. */
  resolveRequested(scope: readonly string[]): Promise<void>;
  /** The consent text of a scope, a permission set's from what it grants. */
  describe(scope: string): Promise<string | undefined>;
  /** The token scope: each set replaced by its permissions as they are now (none when sets are off). */
  tokenScope(scope: readonly string[]): Promise<string[]>;
}

export function atprotoPermissionSets(
  options: AuthorizationServerOptions,
  deps: ProfileDeps,
): AtprotoPermissionSets {
  const settings = options.atproto ?? {};
  const sets = createPermissionSetCache({
    resolve:
      options.resolveLexicon ??
      createLexiconResolver({
        fetch: deps.outboundFetch,
        plcDirectory: settings.plcDirectory ?? 'https://plc.directory',
        ...(options.resolveTxt === undefined ? {} : { resolveTxt: options.resolveTxt }),
      }),
    clock: deps.clock,
    logger: deps.logger,
    ttlSeconds: settings.permissionSetTtlSeconds ?? 3600,
  });
  return {
    resolveRequested: async (scope) => void (await setsOf(sets, scope)),
    describe: async (scope) => {
      const include = includeScopeOf(scope);
      if (include === undefined) return describeAtprotoScope(scope);
      try {
        return describePermissionSet(scope, await sets.get(include.nsid));
      } catch (error) {
        if (!(error instanceof PermissionSetUnavailable)) throw error;
        return `${describeAtprotoScope(scope)} (its definition cannot be read right now)`;
      }
    },
    tokenScope: async (scope) => {
      // Sets turned off: a session granted one before keeps the rest of its scope, not the set.
      if (settings.permissionSets === 'refuse')
        return scope.filter((value) => includeScopeOf(value) === undefined);
      const resolved = await setsOf(sets, scope);
      return expandPermissionSets(scope, (nsid) => resolved.get(nsid)!);
    },
  };
}

/**
 * The sets `scope` includes, resolved (in parallel), or `atproto_permission_set_unresolved`
 * naming the first that cannot be had and why. invalid_scope: the scope names something this
 * server cannot read (the client may retry, or leave the set out).
 */
async function setsOf(
  sets: PermissionSets,
  scope: readonly string[],
): Promise<Map<string, LexiconPermissionSet>> {
  const nsids = [
    ...new Set(scope.map((value) => includeScopeOf(value)?.nsid).filter((n) => n !== undefined)),
  ];
  const settled = await Promise.allSettled(nsids.map((nsid) => sets.get(nsid)));
  const resolved = new Map<string, LexiconPermissionSet>();
  for (const [index, outcome] of settled.entries()) {
    if (outcome.status === 'fulfilled') {
      resolved.set(nsids[index]!, outcome.value);
      continue;
    }
    const error: unknown = outcome.reason;
    if (!(error instanceof PermissionSetUnavailable)) throw error;
    throw new OAuthError('invalid_scope', {
      reason: 'atproto_permission_set_unresolved',
      description: error.message.slice(0, 300),
    });
  }
  return resolved;
}
