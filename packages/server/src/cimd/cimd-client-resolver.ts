import {
  type ClientIdUrlPolicy,
  type ClientMetadata,
  checkClientIdUrl,
  classifyDocumentChange,
  isClientIdMetadataDocumentUrl,
  OAuthError,
} from '@gatehouse-oauth/core';
import { LRUCache } from 'lru-cache';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { ClientResolver } from '../clients/client-resolver.ts';
import type { ServerMetrics } from '../metrics.ts';
import { fetchFailureDetail } from '../observed-fetch.ts';
import { fetchFailureReason, publicFetchDescription } from '../public-fetch-descriptions.ts';
import type { AuditEvent, ClientDocumentVersion, ClientRecord, Store } from '../store/store.ts';
import type { SharedDocument } from './cached-document.ts';
import { cimdClientRecord } from './cimd-client-record.ts';
import { changeDetail, createDocumentChangeHandler, type DowngradeResponse } from './document-change.ts';
import { isGovernorRefusedError } from './fetch-governor.ts';
import type { CachedDocument, DocumentCache, GetOptions } from './metadata-document-cache.ts';
import { createRefusalAudit, type RefusalAuditLogger } from './refusal-audit.ts';
import { createStaleDocumentNotice } from './stale-document-notice.ts';

/**
 * Resolves client_ids that are Client ID Metadata Document URLs (CIMD §3, §5; MCP-6): the URL is
 * checked on the raw string, the document comes from the cache (fetched through safe-fetch and
 * validated before it is cached), and every new version is recorded, diffed and handled by the
 * change policy. A client_id that cannot be resolved is an `invalid_client` whose description says
 * why, so the authorization endpoint shows it on the server's own page (CIMD-FETCH-13): for a
 * failed fetch, the fixed sentence of public-fetch-descriptions.ts, never the fetcher's message.
 */
export interface CimdResolverOptions {
  cache: DocumentCache<ClientMetadata>;
  store: Store;
  clock: () => number;
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
  /** The document change policy (document-change.ts; `governance.changePolicy`). */
  changePolicy: { downgrade: DowngradeResponse };
  /** Revokes a downgraded client's grants (`consent`). */
  lifecycle: Pick<ClientLifecycle, 'revokeAll'>;
  /** This instance's governance, read again at once after the change policy holds a client. */
  governance: { reload(): Promise<void> };
  urlPolicy?: ClientIdUrlPolicy;
  metrics?: ServerMetrics;
  /** Gets a debug line per refusal the governor made (those are audited in aggregate). */
  logger?: RefusalAuditLogger;
  /** Window of the aggregated `cimd.refused` rows for governor refusals. Default 60 s. */
  refusalAuditIntervalMs?: number;
}

/** A client resolved with the document it was resolved from (the freshness operations read both). */
export interface ResolvedDocument {
  record: ClientRecord;
  document: CachedDocument<ClientMetadata>;
}

export interface CimdClientResolver extends ClientResolver {
  /** Re-fetches the document now (within the cache's cooldown), for a redirect_uri mismatch. */
  refresh(clientId: string): Promise<ClientRecord | undefined>;
  /**
   * An operator's refresh (issue #14, item 5): fetches the document now, whatever its freshness and
   * the cooldown, through the cache's validation, the change policy and the recording.
   */
  reload(clientId: string): Promise<ResolvedDocument | undefined>;
  /**
   * The background revalidation's step (background-revalidation.ts): the version stored or held is
   * revalidated now, conditionally, before it expires (the cooldown still applies).
   */
  revalidate(clientId: string): Promise<ResolvedDocument | undefined>;
  refuseEarly(clientId: string): Promise<OAuthError> | undefined;
  resolveFromMemory(clientId: string): ClientRecord | undefined;
  /**
   * Whether this instance knows the client without any I/O: resolved here recently, or its document
   * usable from the cache (admission control, decision 0045).
   */
  holds(clientId: string): boolean;
  /** Writes the pending aggregated refusal rows now (tests, shutdown). */
  flushRefusals(): Promise<void>;
  /** Forgets the client and its cached document (clients/client-memory.ts). */
  forget(clientId: string): void;
}

/** How many resolved clients are kept in memory to answer repeat requests without a store read. */
const KNOWN_CLIENTS_LIMIT = 10_000;

/**
 * Recorded with each version's headers: when the instance that fetched it considers it fresh until
 * (epoch ms), so other instances sharing the store can use it without fetching (the second level).
 */
export const SHARED_EXPIRES_AT_HEADER = 'x-gatehouse-expires-at';
/** Recorded beside it: until when that instance would serve it while the origin fails (decision 0035). */
export const SHARED_STALE_IF_ERROR_HEADER = 'x-gatehouse-stale-if-error-until';

/** How each way of resolving asks the cache. */
const MODES = {
  resolve: {},
  refresh: { forceRefresh: true },
  reload: { forceRefresh: true, ignoreCooldown: true },
  revalidate: { forceRefresh: true },
} as const satisfies Record<string, GetOptions>;
type Mode = keyof typeof MODES;

export function cimdClientResolver(options: CimdResolverOptions): CimdClientResolver {
  // lru-cache (decision 0023): `get` is the LRU touch, `set` evicts the least recently used client.
  const known = new LRUCache<string, { digest: string; fetchedAt: number; record: ClientRecord }>({
    max: KNOWN_CLIENTS_LIMIT,
  });
  const changes = createDocumentChangeHandler({
    store: options.store,
    clock: options.clock,
    audit: options.audit,
    lifecycle: options.lifecycle,
    governance: options.governance,
    changePolicy: options.changePolicy,
  });
  const staleNotice = createStaleDocumentNotice({ store: options.store, audit: options.audit });
  const refusalAudit = createRefusalAudit({
    audit: options.audit,
    clock: options.clock,
    ...(options.refusalAuditIntervalMs === undefined ? {} : { intervalMs: options.refusalAuditIntervalMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });

  /**
   * The cheap refusal (decision 0020): a document URL this instance holds nothing for, whose fetch
   * the governor would refuse now, is refused before any store read (the client lookup and the
   * shared document version) and before the URL rules are even applied; the flood's distinct
   * unknown client_ids cost an in-memory check, a counter and (aggregated) audit. The URL must pass
   * the cheap shape test first, so everything else goes the ordinary way.
   */
  function refuseEarly(clientId: string): Promise<OAuthError> | undefined {
    if (!isClientIdMetadataDocumentUrl(clientId)) return undefined;
    const refusal = options.cache.refuseEarly(clientId);
    if (refusal === undefined) return undefined;
    return governorRefused(clientId, refusal.host, refusal.reason);
  }

  /**
   * The warm path: a client this instance resolved from the very document the cache still holds
   * fresh is answered without a store read or a promise, exactly as `resolve` would answer it (the
   * same record, the cache hit counted, both LRUs touched). Anything else (not known, expired, a new
   * body, a revalidation to record) takes the ordinary path.
   */
  function resolveFromMemory(clientId: string): ClientRecord | undefined {
    // Touched even when the answer is "not from memory": `resolve` follows and touches it anyway.
    const seen = known.get(clientId);
    if (seen === undefined) return undefined;
    const held = options.cache.peek(clientId);
    if (held === undefined || options.clock() >= held.expiresAt || held.digest !== seen.digest)
      return undefined;
    if (held.fetchedAt !== seen.fetchedAt && held.source === undefined) return undefined;
    if (options.cache.fresh(clientId) === undefined) return undefined;
    return seen.record;
  }

  /**
   * The second level: when this instance holds nothing usable, a version another instance fetched
   * and recorded is used while it is fresh by the freshness that instance recorded (validated again
   * first), so a document is fetched once per expiry, not once per instance. The in-memory cache
   * keeps single-flight per instance for the fetches that remain. An expired version still within
   * its stale-if-error grace is kept as the fallback of the fetch that follows (decision 0035); a
   * version an operator evicted is not used at all.
   */
  async function adoptShared(clientId: string): Promise<void> {
    // Only when this instance has nothing fresh: a stale entry may be older than what is stored.
    const held = options.cache.peek(clientId);
    if (held !== undefined && options.clock() < held.expiresAt) return;
    const latest = await options.store.clientDocuments.latest(clientId);
    const shared = latest === undefined ? undefined : sharedOf(latest);
    const now = options.clock();
    if (latest === undefined || shared === undefined) return;
    if (shared.expiresAt <= now && (shared.staleIfErrorUntil ?? 0) <= now) return;
    const evictedAt = (await options.store.documentFreshness.get(clientId))?.evictedAt;
    if (evictedAt !== undefined && latest.lastSeenAt <= evictedAt) return;
    await options.cache.adopt(clientId, shared);
  }

  async function resolveDocument(clientId: string, mode: Mode): Promise<ResolvedDocument | undefined> {
    if (!isClientIdMetadataDocumentUrl(clientId)) return undefined;
    let document: CachedDocument<ClientMetadata>;
    try {
      checkClientIdUrl(clientId, options.urlPolicy); // CIMD-URL-*: on the raw string
      if (mode === 'resolve' || mode === 'revalidate') await adoptShared(clientId);
      document = await options.cache.get(clientId, MODES[mode]);
    } catch (error) {
      throw await refused(clientId, error);
    }
    const seen = known.get(clientId);
    // Confirmed by the origin for this call (not taken from the store, not served stale).
    const confirmed =
      document.source === undefined &&
      document.originFailure === undefined &&
      seen?.fetchedAt !== document.fetchedAt;
    await staleNotice.served(clientId, document, options.clock());
    if (confirmed) await staleNotice.confirmed(clientId, document);
    if (seen !== undefined && seen.digest === document.digest) {
      // The origin confirmed the same body again: record its new freshness for the other instances.
      if (confirmed) {
        await options.store.clientDocuments.record(versionOf(clientId, document), options.clock());
        seen.fetchedAt = document.fetchedAt;
      }
      return { record: seen.record, document }; // touched by `get` above
    }
    const record = await recordVersion(clientId, document);
    known.set(clientId, { digest: document.digest, fetchedAt: document.fetchedAt, record });
    return { record, document };
  }

  const recordOf = async (clientId: string, mode: Mode) => (await resolveDocument(clientId, mode))?.record;

  async function recordVersion(
    clientId: string,
    document: CachedDocument<ClientMetadata>,
  ): Promise<ClientRecord> {
    const now = options.clock();
    const { store } = options;
    // A version taken from the store is its latest already: recording it again would claim a fetch.
    const result =
      document.source === 'shared'
        ? ({ changed: false } as const)
        : await store.clientDocuments.record(versionOf(clientId, document), now);
    const existing = await store.clients.get(clientId);
    const metadata = document.value;
    if (existing === undefined || existing.kind !== 'cimd') {
      const record = cimdClientRecord(clientId, metadata, now);
      await store.clients.put(record);
      await options.audit({
        type: 'client.discovered',
        clientId,
        detail: { kind: 'cimd', digest: document.digest },
      });
      return record;
    }
    const change = classifyDocumentChange(existing.metadata, metadata, clientId);
    if (!result.changed && change.outcome === 'unchanged') return existing;
    let record: ClientRecord = { ...existing, metadata };
    const digests = {
      digest: document.digest,
      previousDigest: result.changed ? result.previous?.digest : undefined,
    };
    const { response, familiesRevoked } = await changes.handle({
      clientId,
      change,
      ...digests,
      // `updatedAt` is when the client last changed what it may do; grants older than it no longer
      // approve silently (see covers() in the authorization endpoint).
      save: async (updatedAt) => {
        record = { ...record, updatedAt: updatedAt ?? existing.updatedAt };
        await store.clients.put(record);
      },
    });
    options.metrics?.cimdDocumentChanges.inc({ kind: change.outcome });
    await options.audit({
      type: 'client.document_changed',
      clientId,
      reason: change.outcome,
      detail: {
        ...changeDetail(digests, change),
        changed: [...new Set(change.findings.map((finding) => finding.field))],
        response,
        ...(familiesRevoked > 0 ? { families_revoked: familiesRevoked } : {}),
      },
    });
    return record;
  }

  /** Load shedding: counted per request, audited in aggregate (refusal-audit.ts). */
  async function governorRefused(clientId: string, host: string, reason: string): Promise<OAuthError> {
    options.metrics?.cimdRefusals.inc({ reason });
    await refusalAudit.record(clientId, host, reason);
    // Without a stack: capturing one was a visible share of a refusal's cost under a flood, and
    // the stack of load shedding tells nobody anything.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new OAuthError('invalid_client', {
        reason: `cimd_${reason}`,
        description: publicFetchDescription(documentAt(clientId), reason),
      });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  async function refused(clientId: string, error: unknown): Promise<OAuthError> {
    if (isGovernorRefusedError(error)) return governorRefused(clientId, error.host, error.reason);
    const reason = fetchFailureReason(error);
    options.metrics?.cimdRefusals.inc({ reason });
    if (error instanceof OAuthError) {
      await options.audit({ type: 'cimd.refused', clientId, reason });
      // A URL rule or a validation finding: about what the client sent or published, so it stays
      // specific (which member is wrong). Same code and reason, with the status of the endpoint's
      // invalid_client (401 at the token endpoint, RFC 6749 §5.2; the authorization endpoint shows
      // its error page either way).
      return new OAuthError('invalid_client', {
        reason: error.reason,
        description: `${documentAt(clientId)} was refused: ${error.description ?? error.reason}`,
      });
    }
    // A fetch or cache failure: its message names what the server saw on its own network (the
    // address and range it refused, the DNS error, the socket error). That stays in the audit
    // event and its log line; the answer, to an unauthenticated stranger, gets the fixed sentence
    // for the reason (CIMD-FETCH-13, issue 18 finding 5).
    await options.audit({ type: 'cimd.refused', clientId, reason, detail: fetchFailureDetail(error) });
    return new OAuthError('invalid_client', {
      reason: `cimd_${reason}`,
      description: publicFetchDescription(documentAt(clientId), reason),
    });
  }

  return {
    resolve: (clientId) => recordOf(clientId, 'resolve'),
    refresh: (clientId) => recordOf(clientId, 'refresh'),
    reload: (clientId) => resolveDocument(clientId, 'reload'),
    revalidate: (clientId) => resolveDocument(clientId, 'revalidate'),
    refuseEarly,
    resolveFromMemory,
    flushRefusals: () => refusalAudit.flush(),
    holds: (clientId) => known.has(clientId) || options.cache.peek(clientId) !== undefined,
    forget(clientId) {
      known.delete(clientId);
      options.cache.delete(clientId);
    },
  };
}

/** The version to record for a document this instance fetched (or revalidated) itself. */
function versionOf(clientId: string, document: CachedDocument<ClientMetadata>) {
  return {
    clientId,
    digest: document.digest,
    body: new TextDecoder().decode(document.body),
    fetchedAt: document.fetchedAt,
    headers: {
      ...(document.etag === undefined ? {} : { etag: document.etag }),
      ...(document.lastModified === undefined ? {} : { 'last-modified': document.lastModified }),
      [SHARED_EXPIRES_AT_HEADER]: String(document.expiresAt),
      [SHARED_STALE_IF_ERROR_HEADER]: String(document.staleIfErrorUntil),
    },
  };
}

/** A recorded version as the shared second level (its freshness from our headers), or undefined without them. */
export function sharedOf(version: ClientDocumentVersion): SharedDocument | undefined {
  const expiresAt = Number(version.headers[SHARED_EXPIRES_AT_HEADER]);
  if (!Number.isFinite(expiresAt)) return undefined;
  const staleIfErrorUntil = Number(version.headers[SHARED_STALE_IF_ERROR_HEADER]);
  const { etag, 'last-modified': lastModified } = version.headers;
  return {
    body: new TextEncoder().encode(version.body),
    fetchedAt: version.lastSeenAt,
    expiresAt,
    ...(Number.isFinite(staleIfErrorUntil) ? { staleIfErrorUntil } : {}),
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
  };
}

/** The client_id as the client sent it (bounded): the only host a refusal names. */
function documentAt(clientId: string): string {
  return `the client metadata document at ${clientId.slice(0, 200)}`;
}
