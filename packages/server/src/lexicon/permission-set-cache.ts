import type { LexiconPermissionSet } from '@atproto/oauth-scopes';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { LexiconResolver } from './lexicon-resolver.ts';
import { LexiconUnresolved } from './lexicon-unresolved.ts';
import { PermissionSetInvalid, permissionSetOf } from './permission-set.ts';

/**
 * The permission sets this instance knows (AT-16: "resolved dynamically, cached, re-resolved
 * periodically"). A set is used for `ttlSeconds` after it was resolved; the first use after that
 * resolves it again, so a set in use is re-read at least that often and one nobody asks for is
 * never fetched. While a re-resolution fails, the last good set stays in use (the publisher's host
 * being down must not end every session that includes it) and is retried every `retrySeconds`; a
 * set never resolved is refused for that long instead of being fetched again for every request.
 * One resolution per NSID at a time; bounded in count. Time is the caller's clock (decision 0023).
 * Per instance: each instance resolves for itself, as each instance fetches client documents.
 */
export interface PermissionSets {
  /** The set `nsid` names, or a rejection (PermissionSetUnavailable) whose message the client may see. */
  get(nsid: string): Promise<LexiconPermissionSet>;
  /** The set as last resolved, without resolving (undefined: never resolved, or forgotten). */
  peek(nsid: string): LexiconPermissionSet | undefined;
}

/** A permission set that cannot be had; the message says why in words the client may see. */
export class PermissionSetUnavailable extends Error {
  readonly nsid: string;
  constructor(nsid: string, why: string) {
    super(`the permission set ${nsid} could not be resolved: ${why}`);
    this.name = 'PermissionSetUnavailable';
    this.nsid = nsid;
  }
}

export interface PermissionSetCacheOptions {
  resolve: LexiconResolver;
  clock: () => number;
  logger: Logger;
  /** How long a resolved set is used before it is resolved again. */
  ttlSeconds: number;
  /** After a failed resolution, how long before the next try. Default the smaller of 60 s and the TTL. */
  retrySeconds?: number;
  /** How many sets are kept. Default 1,000. */
  max?: number;
}

interface Entry {
  set?: LexiconPermissionSet;
  resolvedAt?: number;
  failedAt?: number;
  failure?: PermissionSetUnavailable;
}

export function createPermissionSetCache(options: PermissionSetCacheOptions): PermissionSets {
  const ttl = options.ttlSeconds * 1000;
  const retry = (options.retrySeconds ?? Math.min(60, options.ttlSeconds)) * 1000;
  const entries = new LRUCache<string, Entry>({ max: options.max ?? 1000 });
  const inFlight = new Map<string, Promise<LexiconPermissionSet>>();

  const resolveNow = async (nsid: string, known: Entry | undefined): Promise<LexiconPermissionSet> => {
    const started = options.clock();
    try {
      const set = permissionSetOf(await options.resolve(nsid), nsid);
      entries.set(nsid, { set, resolvedAt: started });
      return set;
    } catch (error) {
      const failure = new PermissionSetUnavailable(nsid, publicReason(error));
      entries.set(nsid, { ...known, failedAt: started, failure });
      options.logger.warn(
        { err: error, nsid, stale: known?.set !== undefined },
        'permission set not resolved; the last good one stays in use if there is one',
      );
      if (known?.set !== undefined) return known.set;
      throw failure;
    }
  };

  return {
    async get(nsid) {
      const now = options.clock();
      const known = entries.get(nsid);
      if (known?.set !== undefined && known.resolvedAt !== undefined && now - known.resolvedAt < ttl)
        return known.set;
      if (known?.failedAt !== undefined && now - known.failedAt < retry) {
        if (known.set !== undefined) return known.set;
        throw known.failure!;
      }
      const pending = inFlight.get(nsid);
      if (pending !== undefined) return pending;
      const resolving = resolveNow(nsid, known).finally(() => inFlight.delete(nsid));
      inFlight.set(nsid, resolving);
      return resolving;
    },
    peek: (nsid) => entries.peek(nsid)?.set,
  };
}

/**
 * What the client is told: the resolver's and the validation's own fixed sentences; anything else
 * an embedder's resolver threw (its text may say anything) is only "it could not be resolved".
 */
function publicReason(error: unknown): string {
  if (error instanceof LexiconUnresolved || error instanceof PermissionSetInvalid) return error.message;
  return 'the resolver failed';
}
