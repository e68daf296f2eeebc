/**
 * What the inventory shows of a document client's metadata document (issue #14, items 1 and 5):
 * its last fetch from the fetch log (outcome, when, how long, the refusal's reason and status),
 * the validators and freshness of the version the cache serves (as the instance that fetched it
 * recorded them: ../cimd/cimd-client-resolver.ts `sharedOf`), and whether the last good version is
 * being served past its lifetime because the origin fails (stale-if-error) or was evicted.
 */
import { sharedOf } from '../cimd/cimd-client-resolver.ts';
import type { DocumentFetchOutcome, Store } from '../store/store.ts';

export interface LastFetch {
  at: number;
  outcome: DocumentFetchOutcome;
  durationMs: number;
  /** A refused or failed fetch's reason (docs/errors.md). */
  reason?: string | undefined;
  status?: number | undefined;
}

export interface DocumentState {
  lastFetch?: LastFetch | undefined;
  /** The validators of the version served (`ETag`, `Last-Modified`), when the origin sent them. */
  etag?: string | undefined;
  lastModified?: string | undefined;
  /** When the version served stops being fresh: it is revalidated by then (in the background before). */
  freshUntil?: number | undefined;
  /** Served past its lifetime since then, until then, because the origin fails (RFC 5861). */
  stale?: { since: number; until: number; reason: string } | undefined;
  /** An operator evicted the document then (`gatehouse clients evict`). */
  evictedAt?: number | undefined;
}

export async function documentStateOf(
  store: Pick<Store, 'documentFetches' | 'clientDocuments' | 'documentFreshness'>,
  clientId: string,
): Promise<DocumentState> {
  const [fetch, version, freshness] = await Promise.all([
    store.documentFetches.latest(clientId),
    store.clientDocuments.latest(clientId),
    store.documentFreshness.get(clientId),
  ]);
  const shared = version === undefined ? undefined : sharedOf(version);
  const state: DocumentState = {
    lastFetch:
      fetch === undefined
        ? undefined
        : {
            at: fetch.at,
            outcome: fetch.outcome,
            durationMs: fetch.durationMs,
            reason: fetch.reason,
            status: fetch.status,
          },
    etag: shared?.etag,
    lastModified: shared?.lastModified,
    freshUntil: shared?.expiresAt,
    stale:
      freshness?.stale === undefined
        ? undefined
        : { since: freshness.stale.since, until: freshness.stale.until, reason: freshness.stale.reason },
    evictedAt: freshness?.evictedAt,
  };
  return pruned(state);
}

/** Without undefined members, nested ones included (the answer is JSON). */
function pruned<T extends object>(value: T): T {
  const members = value as Record<string, unknown>;
  for (const key of Object.keys(members)) {
    const member = members[key];
    if (member === undefined) delete members[key];
    else if (typeof member === 'object' && member !== null) pruned(member);
  }
  return value;
}
