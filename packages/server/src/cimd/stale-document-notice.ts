/**
 * What the server records about a Client ID Metadata Document served stale because its origin
 * fails (stale-if-error, decision 0035): a mark in the store, which the inventory shows and every
 * instance shares, and one `client.document_stale` audit event per episode, written by whichever
 * instance marked it first. The origin's next confirmation of a version ends the episode.
 */
import type { Audit } from '../audit/audit-trail.ts';
import type { Store } from '../store/store.ts';
import type { CachedDocument } from './cached-document.ts';

export interface StaleDocumentNoticeDeps {
  store: Pick<Store, 'documentFreshness'>;
  audit: Audit;
}

/** The actor of the audit event: the cache decided, no person did. */
const ACTOR = 'system:document-cache';

export function createStaleDocumentNotice(deps: StaleDocumentNoticeDeps) {
  // The cache marks one copy per episode (metadata-document-cache.ts): each is written once here.
  const noticed = new WeakSet<object>();

  return {
    /**
     * Records a document the cache serves past its expiry because the origin fails (`now` is past
     * `expiresAt`); once per episode.
     */
    async served(clientId: string, document: CachedDocument<unknown>, now: number): Promise<void> {
      const failure = document.originFailure;
      if (failure === undefined || now < document.expiresAt || noticed.has(failure)) return;
      const first = await deps.store.documentFreshness.markStale(clientId, {
        digest: document.digest,
        since: failure.since,
        until: document.staleIfErrorUntil,
        reason: failure.reason,
      });
      noticed.add(failure);
      if (!first) return;
      await deps.audit({
        type: 'client.document_stale',
        clientId,
        actor: ACTOR,
        reason: failure.reason,
        detail: {
          digest: document.digest,
          failing_since: failure.since,
          fetched_at: document.fetchedAt,
          expired_at: document.expiresAt,
          stale_until: document.staleIfErrorUntil,
        },
      });
    },

    /** The origin confirmed a version (a 200 or a 304) at `document.fetchedAt`: a stale mark ends. */
    async confirmed(clientId: string, document: CachedDocument<unknown>): Promise<void> {
      await deps.store.documentFreshness.clearStale(clientId, document.fetchedAt);
    },
  };
}
