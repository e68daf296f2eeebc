import { Counter, Registry } from 'prom-client';

/**
 * The server's Prometheus metrics (prom-client), one registry per server so several servers in
 * one process (tests, multi-tenant embedding) never mix their counts. Exposed as
 * `AuthorizationServer.metrics`; serving it over HTTP is the operator's choice (issue #8).
 */
export interface ServerMetrics {
  registry: Registry;
  /** Every outbound fetch the hardened fetcher refused (documents, jwks_uri, logos), by SafeFetchError reason. */
  outboundRefusals: Counter<'reason'>;
  /** Every refused Client ID Metadata Document, by stable reason (SafeFetchError, validation, governor). */
  cimdRefusals: Counter<'reason'>;
  /** Document cache events: hit, miss, revalidated, refreshed, stale_served, fetch_failed, invalid, evicted, governor_refused. */
  cimdCacheEvents: Counter<'event'>;
  /** Document versions that changed, by whether the change was security-relevant. */
  cimdDocumentChanges: Counter<'kind'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  return {
    registry,
    outboundRefusals: new Counter({
      name: 'gatehouse_outbound_fetch_refusals_total',
      help: 'Outbound fetches refused by the hardened fetcher, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    cimdRefusals: new Counter({
      name: 'gatehouse_cimd_refusals_total',
      help: 'Client ID Metadata Documents refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    cimdCacheEvents: new Counter({
      name: 'gatehouse_cimd_cache_events_total',
      help: 'Client ID Metadata Document cache events',
      labelNames: ['event'],
      registers: [registry],
    }),
    cimdDocumentChanges: new Counter({
      name: 'gatehouse_cimd_document_changes_total',
      help: 'Changed Client ID Metadata Documents, security_relevant or cosmetic',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
