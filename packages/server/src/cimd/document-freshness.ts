/**
 * The operator's freshness operations on Client ID Metadata Documents (issue #14, item 5): `refresh`
 * fetches a client's document now and `evict` drops it, each on every instance, audited with the
 * actor. `gatehouse clients refresh|evict`, the admin API and `server.documents` all call these.
 *
 * - refresh: the document is fetched now (whatever its freshness and the cooldown) through the
 *   resolver's own path: the URL and profile rules, the governor, validation before caching, the
 *   change policy, the recording of the version. On success a client change (`updated`) goes on the
 *   feed: every instance forgets what it holds and takes the recorded version at its next request.
 *   A fetch that fails changes nothing (an instance that holds the document keeps it, within the
 *   stale-if-error grace when the origin is down) and is reported as `failed` with its reason.
 * - evict: the eviction is stored (no instance adopts a version recorded before it), this instance
 *   forgets the document, and an `updated` change makes every other one forget it: the next request
 *   of the client fetches it anew. The versions, grants and everything else of the client stay.
 *
 * A blocked client's document is not fetched (governance: no DNS query, no connection for it).
 */
import { isClientIdMetadataDocumentUrl, isOAuthError, OAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientMemory } from '../clients/client-memory.ts';
import type { ClientGovernance } from '../governance/client-governance.ts';
import type { Store } from '../store/store.ts';
import type { ResolvedDocument } from './cimd-client-resolver.ts';

export interface DocumentFreshnessDeps {
  /** The CIMD resolver's operator refresh (with the profile's client-id rules); undefined: CIMD is off. */
  reload: ((clientId: string) => Promise<ResolvedDocument | undefined>) | undefined;
  store: Pick<Store, 'clients' | 'clientDocuments' | 'clientChanges' | 'documentFreshness'>;
  /** What this instance holds about clients (the CLI holds nothing). */
  memory?: ClientMemory;
  governance: Pick<ClientGovernance, 'current'>;
  clock: () => number;
  audit: Audit;
}

/** What a refresh found: a new version, the same one, a first one, or no usable answer. */
export type RefreshOutcome = 'changed' | 'unchanged' | 'discovered' | 'failed';

export interface RefreshResult {
  clientId: string;
  outcome: RefreshOutcome;
  /** The version in use now (failed: the one this instance keeps serving, if any). */
  digest?: string;
  /** changed: the version it replaced. */
  previousDigest?: string;
  /** When the origin last confirmed the version in use, and until when it is fresh. */
  fetchedAt?: number;
  expiresAt?: number;
  /** failed: the stable reason (docs/errors.md: `cimd_connect_failed`, `cimd_client_id_mismatch`…) and its description. */
  reason?: string;
  description?: string;
  /** failed while the origin is down and this instance keeps the last good version: until when. */
  staleUntil?: number;
}

export interface EvictResult {
  clientId: string;
  /** The latest recorded version, which no instance uses any longer. */
  digest?: string;
  evictedAt: number;
}

export interface DocumentFreshnessOperations {
  refresh(clientId: string, action: { actor: string }): Promise<RefreshResult>;
  evict(clientId: string, action: { actor: string }): Promise<EvictResult>;
}

export function createDocumentFreshness(deps: DocumentFreshnessDeps): DocumentFreshnessOperations {
  const { store, clock } = deps;

  /** The client_id must be a document URL, and CIMD on; a blocked client is not fetched. */
  async function checked(clientId: string, fetching: boolean): Promise<void> {
    if (!isClientIdMetadataDocumentUrl(clientId))
      throw new OAuthError('invalid_request', {
        reason: 'not_a_document_client',
        description: `${clientId.slice(0, 200)} is not a client ID metadata document URL: only document clients are fetched`,
      });
    if (deps.reload === undefined)
      throw new OAuthError('invalid_request', {
        status: 409,
        reason: 'cimd_disabled',
        description: 'Client ID Metadata Documents are off on this server (cimd.enabled is false)',
      });
    if (!fetching) return;
    const decision = (await deps.governance.current()).decideBeforeFetch(clientId);
    if (decision?.refusal === 'client_blocked')
      throw new OAuthError('invalid_request', {
        status: 409,
        reason: 'client_blocked',
        description: `${clientId.slice(0, 200)} is blocked: its document is not fetched; unblock it first`,
      });
  }

  async function refresh(clientId: string, { actor }: { actor: string }): Promise<RefreshResult> {
    await checked(clientId, true);
    const previous = await store.clientDocuments.latest(clientId);
    let result: RefreshResult;
    try {
      const resolved = await deps.reload!(clientId);
      result = resolved === undefined ? failed(clientId, 'not_a_document_client') : outcomeOf(resolved);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      result = failed(clientId, error.reason, error.description);
    }
    if (result.outcome === 'failed') {
      // The refusal itself is audited by the resolver (`cimd.refused`) when it fetched.
      await deps.audit({
        type: 'client.document_refreshed',
        clientId,
        actor,
        reason: result.outcome,
        detail: wire(result),
      });
      return result;
    }
    // Every instance forgets what it holds and takes the version just recorded.
    await store.clientChanges.publish({ clientId, kind: 'updated', at: clock() });
    await deps.audit({
      type: 'client.document_refreshed',
      clientId,
      actor,
      reason: result.outcome,
      detail: wire(result),
    });
    return result;

    function outcomeOf({ document }: ResolvedDocument): RefreshResult {
      const common = {
        clientId,
        digest: document.digest,
        fetchedAt: document.fetchedAt,
        expiresAt: document.expiresAt,
      };
      // The fetch failed and this instance keeps what it had (stale-if-error): nothing changed.
      if (document.originFailure !== undefined)
        return {
          ...failed(clientId, `cimd_${document.originFailure.reason}`),
          ...common,
          staleUntil: document.staleIfErrorUntil,
        };
      if (previous === undefined) return { ...common, outcome: 'discovered' };
      if (previous.digest === document.digest) return { ...common, outcome: 'unchanged' };
      return { ...common, outcome: 'changed', previousDigest: previous.digest };
    }
  }

  async function evict(clientId: string, { actor }: { actor: string }): Promise<EvictResult> {
    await checked(clientId, false);
    const latest = await store.clientDocuments.latest(clientId);
    if (latest === undefined && (await store.clients.get(clientId)) === undefined)
      throw new OAuthError('invalid_request', {
        status: 404,
        reason: 'client_not_found',
        description: `no document client ${clientId.slice(0, 200)}: nothing to evict`,
      });
    const evictedAt = clock();
    await store.documentFreshness.evict(clientId, evictedAt);
    deps.memory?.forget(clientId);
    await store.clientChanges.publish({ clientId, kind: 'updated', at: evictedAt });
    const result: EvictResult = {
      clientId,
      evictedAt,
      ...(latest === undefined ? {} : { digest: latest.digest }),
    };
    await deps.audit({
      type: 'client.document_evicted',
      clientId,
      actor,
      detail: { ...(latest === undefined ? {} : { digest: latest.digest }), evicted_at: evictedAt },
    });
    return result;
  }

  return { refresh, evict };
}

function failed(clientId: string, reason: string, description?: string): RefreshResult {
  return { clientId, outcome: 'failed', reason, ...(description === undefined ? {} : { description }) };
}

/** The audit detail of a refresh, in the wire style of every other detail (snake_case). */
function wire(result: RefreshResult): Record<string, unknown> {
  return {
    ...(result.digest === undefined ? {} : { digest: result.digest }),
    ...(result.previousDigest === undefined ? {} : { previous_digest: result.previousDigest }),
    ...(result.fetchedAt === undefined ? {} : { fetched_at: result.fetchedAt }),
    ...(result.expiresAt === undefined ? {} : { expires_at: result.expiresAt }),
    ...(result.reason === undefined ? {} : { failure: result.reason }),
    ...(result.staleUntil === undefined ? {} : { stale_until: result.staleUntil }),
  };
}
