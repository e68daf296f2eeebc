/**
 * What every instance, and the CLI, must know about the freshness of Client ID Metadata Documents
 * beyond the versions themselves (issue #14, item 5; decision 0035): an operator's eviction, which
 * keeps every instance from taking the stored version as the shared second level, and a document
 * served past its lifetime because its origin fails (stale-if-error), for the inventory to show and
 * so the episode is audited once, whichever instance saw it first.
 */

/** A last good version served because its origin fails (RFC 5861 stale-if-error). */
export interface DocumentStaleness {
  /** The digest of the version being served. */
  digest: string;
  /** When an instance first served it past its lifetime because of the failure. */
  since: number;
  /** Until when it may be served so: its expiry plus `cimd.staleIfErrorSeconds`. */
  until: number;
  /** The fetch failure, as the fetcher names it (`connect_failed`, `status_not_200`, …). */
  reason: string;
}

export interface DocumentFreshness {
  clientId: string;
  /** An operator evicted the document then: no version last confirmed at or before it is adopted from the store. */
  evictedAt?: number;
  /** Set while the origin fails and the last good version is served; cleared by its next confirmation. */
  stale?: DocumentStaleness;
}

/**
 * Contract:
 * - `markStale` sets the mark when the client has none and returns true; with one already set it
 *   changes nothing and returns false (the episode's first `since` stays). Atomic per clientId: of
 *   concurrent marks of a client without one, exactly one returns true (so one audit event).
 * - `clearStale` removes a mark whose `since` is at or before `confirmedAt` (the origin confirmed a
 *   version after the failure began) and returns whether it removed one; a later mark stays.
 * - `evict` sets `evictedAt` to the later of the stored one and `at`, and removes any stale mark
 *   (an evicted document is not served at all).
 * - `delete` removes everything of the client (it was removed) and returns whether there was any.
 * - `usedClients` lists the ids of document clients (kind `cimd`) whose `lastUsedAt` is at or after
 *   `since`, ordered by clientId, after `after`, at most `limit`: the documents the background
 *   revalidation keeps fresh. It reads the client records; there is nothing to write for it.
 */
export interface DocumentFreshnessStore {
  get(clientId: string): Promise<DocumentFreshness | undefined>;
  markStale(clientId: string, stale: DocumentStaleness): Promise<boolean>;
  clearStale(clientId: string, confirmedAt: number): Promise<boolean>;
  evict(clientId: string, at: number): Promise<void>;
  delete(clientId: string): Promise<boolean>;
  usedClients(criteria: { since: number; after?: string; limit: number }): Promise<string[]>;
}
