import { DRIFT_SIGNALS } from '@gatehouse-oauth/core';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { CacheEvent } from './cimd/metadata-document-cache.ts';
import type { AuditEvent } from './store/store.ts';

/**
 * The server's Prometheus metrics (prom-client), one registry per server so several servers in
 * one process (tests, multi-tenant embedding) never mix their counts. Exposed as
 * `AuthorizationServer.metrics`; served over HTTP by `server.operations` (issue #8,
 * docs/operations.md lists every metric, docs/decisions/0014-metrics-and-health.md the choices).
 *
 * Every label has a bounded set of values: route names (never raw paths), OAuth error codes, the
 * fixed reason enums of safe-fetch and the governor, and the audit event types of the code.
 */
export interface ServerMetrics {
  registry: Registry;
  /** Every request, by route name, method, status and outcome (ok | OAuth error code | server_error). */
  httpRequests: Counter<'endpoint' | 'method' | 'status' | 'outcome'>;
  /** Request latency by route name and outcome. */
  httpRequestDuration: Histogram<'endpoint' | 'outcome'>;
  /** Every outbound fetch the hardened fetcher refused (documents, jwks_uri, logos), by SafeFetchError reason. */
  outboundRefusals: Counter<'reason'>;
  /** Every refused Client ID Metadata Document, by stable reason (SafeFetchError, validation, governor). */
  cimdRefusals: Counter<'reason'>;
  /** Document cache events: hit, miss, revalidated, refreshed, stale_served, stale_if_error, fetch_failed, invalid, evicted, governor_refused, shared_hit. */
  cimdCacheEvents: Counter<'event'>;
  /** Document versions that changed, by whether the change was security-relevant. */
  cimdDocumentChanges: Counter<'kind'>;
  /** Network fetches of metadata documents: ok | not_modified | failed (by SafeFetchError reason). */
  cimdFetches: Counter<'outcome' | 'reason'>;
  /** Document fetches the fetch governor shed before they reached the network, by reason. */
  cimdGovernorRejections: Counter<'reason'>;
  /** Unknown document client_ids refused by admission control (decision 0045), by reason. */
  cimdAdmissionRefusals: Counter<'reason'>;
  /** Unknown document client_ids let through admission control to the resolver (decision 0045). */
  cimdAdmissions: Counter;
  /** Token responses issued, by grant_type. */
  tokensIssued: Counter<'grant_type'>;
  /** Refresh tokens presented again after rotation (RFC 9700 §4.14.2): the family was revoked. */
  refreshTokenReuse: Counter;
  /** Dynamic registrations (RFC 7591): registered | recognised | refused | rate_limited. */
  dcrRegistrations: Counter<'outcome'>;
  /** Dynamic registrations deleted as stale (DCR-SEC-7), by reaper rule: never_used | idle. */
  dcrReaped: Counter<'reason'>;
  /** Login throttle windows opened (one `login.throttled` audit event each), by key kind: account | source. */
  loginThrottled: Counter<'key_kind'>;
  /** Every audit event (each security decision), by type. */
  auditEvents: Counter<'type'>;
  /** Clients removed, and clients whose every grant was revoked, by action and reason (client-lifecycle.ts). */
  clientLifecycle: Counter<'action' | 'reason'>;
  /** Client changes read from the feed and applied to this instance's memory, by kind. */
  clientChangesApplied: Counter<'kind'>;
  /** Admission decisions (issue #13), by state, tier and whether it was enforced (report-only: not). */
  governanceDecisions: Counter<'state' | 'tier' | 'enforced'>;
  /** Signs that a client's domain changed hands (issue #14, cimd/ownership-drift-check.ts), by signal. */
  clientDriftSuspected: Counter<'signal'>;
  /** Documents of used clients revalidated in the background (issue #14): revalidated | failed | deferred. */
  cimdBackgroundRevalidations: Counter<'outcome'>;
}

export interface MetricsOptions {
  /**
   * Also register prom-client's default process metrics (CPU, memory, file descriptors, event
   * loop lag, GC) under their standard names (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, …), unprefixed so stock Node.js dashboards find them (issue #16);
   * Gatehouse's own metrics keep `gatehouse_`. Off by default: they describe the process, so one
   * server per process should carry them (`gatehouse serve` turns them on).
   */
  processMetrics?: boolean;
}

/** Seconds; from sub-millisecond metadata answers to a slow store or a scrypt login. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    httpRequests: counter(
      'gatehouse_http_requests_total',
      'HTTP requests, by route name, method, status and outcome',
      ['endpoint', 'method', 'status', 'outcome'],
    ),
    httpRequestDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request latency, by route name and outcome',
      labelNames: ['endpoint', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    outboundRefusals: counter(
      'gatehouse_outbound_fetch_refusals_total',
      'Outbound fetches refused by the hardened fetcher, by reason',
      ['reason'],
    ),
    cimdRefusals: counter(
      'gatehouse_cimd_refusals_total',
      'Client ID Metadata Documents refused, by reason',
      ['reason'],
    ),
    cimdCacheEvents: counter(
      'gatehouse_cimd_cache_events_total',
      'Client ID Metadata Document cache events',
      ['event'],
    ),
    cimdDocumentChanges: counter(
      'gatehouse_cimd_document_changes_total',
      'Changed Client ID Metadata Documents, by the outcome of the change policy: hold, downgrade, keep, cosmetic or unchanged (only the bytes)',
      ['kind'],
    ),
    cimdFetches: counter(
      'gatehouse_cimd_fetches_total',
      'Network fetches of Client ID Metadata Documents, by outcome and reason',
      ['outcome', 'reason'],
    ),
    cimdGovernorRejections: counter(
      'gatehouse_cimd_governor_rejections_total',
      'Client ID Metadata Document fetches shed by the fetch governor, by reason',
      ['reason'],
    ),
    cimdAdmissionRefusals: counter(
      'gatehouse_cimd_admission_refusals_total',
      'Unknown Client ID Metadata Document client_ids refused by admission control, by reason',
      ['reason'],
    ),
    cimdAdmissions: new Counter({
      name: 'gatehouse_cimd_admissions_total',
      help: 'Unknown Client ID Metadata Document client_ids admitted to resolution',
      registers: [registry],
    }),
    tokensIssued: counter('gatehouse_tokens_issued_total', 'Token responses issued, by grant_type', [
      'grant_type',
    ]),
    refreshTokenReuse: new Counter({
      name: 'gatehouse_refresh_token_reuse_detected_total',
      help: 'Rotated refresh tokens presented again; each revoked its token family',
      registers: [registry],
    }),
    dcrRegistrations: counter(
      'gatehouse_dcr_registrations_total',
      'Dynamic client registration requests, by outcome',
      ['outcome'],
    ),
    dcrReaped: counter('gatehouse_dcr_reaped_total', 'Stale dynamic registrations reaped, by rule', [
      'reason',
    ]),
    loginThrottled: counter(
      'gatehouse_login_throttled_total',
      'Login throttle windows opened (an account name or a source refused after too many failed sign-ins), by key kind',
      ['key_kind'],
    ),
    auditEvents: counter('gatehouse_audit_events_total', 'Audit events (security decisions), by type', [
      'type',
    ]),
    clientLifecycle: counter(
      'gatehouse_client_lifecycle_total',
      'Clients removed or revoked through the client lifecycle, by action and reason',
      ['action', 'reason'],
    ),
    clientChangesApplied: counter(
      'gatehouse_client_changes_applied_total',
      'Client changes from the feed applied to this instance, by kind',
      ['kind'],
    ),
    governanceDecisions: counter(
      'gatehouse_governance_decisions_total',
      'Admission decisions about clients, by approval state, trust tier and whether enforced',
      ['state', 'tier', 'enforced'],
    ),
    clientDriftSuspected: counter(
      'gatehouse_client_drift_suspected_total',
      'Signs that the party behind a document client domain changed (ownership drift), by signal',
      ['signal'],
    ),
    cimdBackgroundRevalidations: counter(
      'gatehouse_cimd_background_revalidations_total',
      'Documents of used clients revalidated in the background before they expire, by outcome',
      ['outcome'],
    ),
  };
}

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
/** Audit types are the code's dotted names; anything else (an embedding's typo) is one label. */
const AUDIT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/**
 * Counts one audit event (called by ctx.audit for every event, before it is stored, so a store
 * outage does not hide decisions from the metrics): the generic per-type counter, and the domain
 * counters derived from the events that carry them.
 */
export function countAuditEvent(metrics: ServerMetrics, event: Omit<AuditEvent, 'at'>): void {
  metrics.auditEvents.inc({
    type: event.type.length <= 64 && AUDIT_TYPE.test(event.type) ? event.type : 'other',
  });
  switch (event.type) {
    case 'token.issued': {
      const grantType = event.detail?.grant_type;
      metrics.tokensIssued.inc({
        grant_type: typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other',
      });
      break;
    }
    case 'refresh_token.reused':
      metrics.refreshTokenReuse.inc();
      break;
    case 'client.registered':
      metrics.dcrRegistrations.inc({ outcome: 'registered' });
      break;
    case 'client.re_registration_recognised':
      metrics.dcrRegistrations.inc({ outcome: 'recognised' });
      break;
    case 'client.registration_refused':
      // Rate-limited registrations are not audited one by one; the request metrics count those.
      metrics.dcrRegistrations.inc({ outcome: 'refused' });
      break;
    case 'login.throttled': {
      // Audited once per key and window (users/login-throttle.ts), so this counts locks, not attempts;
      // each refused attempt is a request log line with reason `login_throttled`.
      const kind = event.detail?.key_kind;
      metrics.loginThrottled.inc({ key_kind: kind === 'account' || kind === 'source' ? kind : 'other' });
      break;
    }
    case 'client.removed':
      metrics.clientLifecycle.inc({ action: 'removed', reason: lifecycleReason(event.reason) });
      if (event.reason === 'never_used' || event.reason === 'idle')
        metrics.dcrReaped.inc({ reason: event.reason });
      break;
    case 'client.revoked':
      metrics.clientLifecycle.inc({ action: 'revoked', reason: lifecycleReason(event.reason) });
      break;
    case 'client.drift_suspected': {
      // One event per fetch that showed drift, naming each signal it showed (a closed set).
      const signals = event.detail?.signals;
      for (const signal of Array.isArray(signals) ? signals : [])
        metrics.clientDriftSuspected.inc({ signal: DRIFT_SIGNAL_SET.has(signal) ? signal : 'other' });
      break;
    }
  }
}

const DRIFT_SIGNAL_SET: ReadonlySet<unknown> = new Set<unknown>(DRIFT_SIGNALS);

const LIFECYCLE_REASONS = new Set([
  'operator',
  'client_request',
  'never_used',
  'idle',
  'client_document_downgraded',
  'client_blocked',
]);

/** The lifecycle's reasons are a closed set (clients/client-lifecycle.ts); anything else is one label. */
function lifecycleReason(reason: string | undefined): string {
  return reason !== undefined && LIFECYCLE_REASONS.has(reason) ? reason : 'other';
}

/** Counts one metadata document cache event, and the governor's refusals by reason. */
export function countCacheEvent(metrics: ServerMetrics, event: CacheEvent): void {
  metrics.cimdCacheEvents.inc({ event: event.type });
  if (event.type === 'governor_refused')
    metrics.cimdGovernorRejections.inc({ reason: event.reason ?? 'unknown' });
}
