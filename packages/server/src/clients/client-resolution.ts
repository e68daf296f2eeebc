import type { ClientMetadata } from '@gatehouse-oauth/core';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { Audit } from '../audit/audit-trail.ts';
import { cimdClientResolver, type ResolvedDocument } from '../cimd/cimd-client-resolver.ts';
import { cimdDocumentPolicy, documentValidator } from '../cimd/document-validation.ts';
import { monitorEventLoopLoad } from '../cimd/event-loop-load.ts';
import { createFetchGovernor } from '../cimd/fetch-governor.ts';
import { createFetchLogRecorder } from '../cimd/fetch-log-recorder.ts';
import { createDocumentCache } from '../cimd/metadata-document-cache.ts';
import { createOwnershipDriftCheck } from '../cimd/ownership-drift-check.ts';
import type { RefusalAuditLogger } from '../cimd/refusal-audit.ts';
import { unknownClientAdmission } from '../cimd/unknown-client-admission.ts';
import type { ResolvedServerOptions } from '../config/resolve-options.ts';
import { governanceAdmission } from '../governance/admission.ts';
import type { ClientGovernance } from '../governance/client-governance.ts';
import { countCacheEvent, type ServerMetrics } from '../metrics.ts';
import { countedCimdFetch } from '../operations/cimd-fetch-metrics.ts';
import type { ProfileHooks } from '../profiles/profile.ts';
import type { ClientLifecycle } from './client-lifecycle.ts';
import type { ClientMemory } from './client-memory.ts';
import {
  type ClientResolver,
  type ClientResolverDecorator,
  chainClientResolvers,
  decorateClientResolver,
  storedClientResolver,
} from './client-resolver.ts';
import { loopbackClientResolver } from './loopback-client-resolver.ts';

/** What resolving clients needs from the server being built. */
export interface ClientResolutionDeps {
  outboundFetch: SafeFetch;
  clock: () => number;
  audit: Audit;
  metrics: ServerMetrics;
  /** Governor refusals are audited in aggregate, with a debug line each (decision 0020); a lost fetch log entry is a warning. */
  logger: RefusalAuditLogger & { warn(object: Record<string, unknown>, message: string): void };
  profile: Pick<ProfileHooks, 'clientIdRules' | 'validateDocument'>;
  /** Revokes a client's grants when its document is downgraded (cimd/document-change.ts). */
  lifecycle: Pick<ClientLifecycle, 'revokeAll'>;
  /** What this instance holds about clients: the CIMD resolver registers how to forget one. */
  memory: ClientMemory;
  /** Admission (issue #13): wraps the chain outermost, before the configured decorators. */
  governance: ClientGovernance;
}

/**
 * What the freshness operations (issue #14, item 5) ask of the CIMD resolver: an operator's refresh
 * and the background revalidation's step, each behind the profile's client-id rules.
 */
export interface DocumentResolution {
  reload(clientId: string): Promise<ResolvedDocument | undefined>;
  revalidate(clientId: string): Promise<ResolvedDocument | undefined>;
}

/**
 * The client resolver of the server: the loopback development client (AT-5) when on, stored
 * clients, then Client ID Metadata Documents when on; the whole chain wrapped by governance
 * admission (governance/admission.ts), then the configured decorators (`clientResolverDecorators`,
 * docs/extension-points.md). `flushRefusals` writes the
 * governor's pending refusal counts (decision 0020). `documents` is undefined when CIMD is off.
 * Unknown document client_ids pass admission control (decision 0045) inside governance, which
 * refuses a blocked client on its id alone first; `stop` ends its event-loop sampling.
 */
export function createClientResolution(
  options: ResolvedServerOptions,
  deps: ClientResolutionDeps,
): {
  resolver: ClientResolver;
  flushRefusals: () => Promise<void>;
  documents: DocumentResolution | undefined;
  stop: () => void;
} {
  const resolvers: ClientResolver[] = [storedClientResolver(options.store.clients)];
  // AT-5: the loopback development client, without fetch (on in the atproto profile).
  if (options.atproto.loopbackClient) resolvers.unshift(loopbackClientResolver());
  let flushRefusals = async (): Promise<void> => {};
  let documents: DocumentResolution | undefined;
  let admission: ClientResolverDecorator[] = [];
  let stop = (): void => {};
  if (options.cimd.enabled) {
    const cimdResolver = createCimdResolver(options, deps);
    deps.memory.hold(cimdResolver.forget);
    resolvers.push(cimdResolver.resolver);
    flushRefusals = cimdResolver.flushRefusals;
    documents = cimdResolver.documents;
    const unknown = createUnknownClientAdmission(options, deps, cimdResolver.holds);
    admission = [unknown.decorator];
    stop = unknown.stop;
  }
  return {
    resolver: decorateClientResolver(chainClientResolvers(...resolvers), [
      governanceAdmission({ governance: deps.governance, audit: deps.audit, clock: deps.clock }),
      ...admission,
      ...(options.clientResolverDecorators ?? []),
    ]),
    flushRefusals,
    documents,
    stop,
  };
}

/** Admission control for unknown document client_ids, with the event-loop sampling it reads. */
function createUnknownClientAdmission(
  options: ResolvedServerOptions,
  deps: ClientResolutionDeps,
  knows: (clientId: string) => boolean,
): { decorator: ClientResolverDecorator; stop: () => void } {
  const { cimd } = options;
  let sweep = (): void => {};
  const load = monitorEventLoopLoad({ shedDelayMs: cimd.shedEventLoopDelayMs, onSample: () => sweep() });
  const admission = unknownClientAdmission({
    knows,
    load,
    maxPending: cimd.unknownPending,
    maxPendingPerHost: cimd.unknownPendingPerHost,
    concurrency: cimd.unknownConcurrency,
    concurrencyWhenBusy: cimd.unknownConcurrencyWhenBusy,
    pauseWhenBusyMs: cimd.unknownPauseWhenBusyMs,
    maxWaitMs: cimd.unknownWaitMs,
    clock: deps.clock,
    metrics: deps.metrics,
  });
  sweep = admission.sweep;
  return { decorator: admission.decorator, stop: load.stop };
}

/** The CIMD client resolver: raw URL rules, the cache (validated before storing), change handling. */
function createCimdResolver(
  options: ResolvedServerOptions,
  deps: ClientResolutionDeps,
): {
  resolver: ClientResolver;
  flushRefusals: () => Promise<void>;
  forget: (clientId: string) => void;
  holds: (clientId: string) => boolean;
  documents: DocumentResolution;
} {
  const { outboundFetch, clock, audit, metrics, logger, profile, lifecycle } = deps;
  const cimd = options.cimd;
  const policy = cimdDocumentPolicy(cimd);
  // Issue #14: every fetch the cache makes goes into the fetch log, weighed for ownership drift.
  const fetchLog = createFetchLogRecorder({
    store: options.store,
    clock,
    drift: createOwnershipDriftCheck({
      store: options.store,
      clock,
      audit,
      governance: deps.governance,
      goneAfterMs: cimd.driftGoneSeconds * 1000,
      response: options.governance.changePolicy.drift,
    }),
    retention: { entries: cimd.fetchLogEntries, days: cimd.fetchLogDays },
    onError: (error, what) => logger.warn({ err: error }, what),
  });
  const cache = createDocumentCache<ClientMetadata>({
    fetch: countedCimdFetch(fetchLog.fetch(outboundFetch), metrics),
    // The profile's document rules (atproto: AT-4, AT-8) apply before anything is cached.
    validate: fetchLog.validate(documentValidator(profile, policy)),
    governor: createFetchGovernor({
      perHostRatePerSecond: cimd.fetchesPerSecondPerHost,
      globalRatePerSecond: cimd.fetchesPerSecond,
    }),
    clock,
    minTtlMs: cimd.minTtlSeconds * 1000,
    maxTtlMs: cimd.maxTtlSeconds * 1000,
    forceRefreshCooldownMs: cimd.refreshCooldownSeconds * 1000,
    staleIfErrorMs: cimd.staleIfErrorSeconds * 1000,
    onEvent: (event) => {
      countCacheEvent(metrics, event);
      fetchLog.onEvent(event);
    },
  });
  const resolver = cimdClientResolver({
    cache,
    store: options.store,
    clock,
    audit,
    changePolicy: options.governance.changePolicy,
    lifecycle,
    governance: deps.governance,
    urlPolicy: policy,
    metrics,
    logger,
  });
  // The profile's client-id rules (atproto: AT-2, a client_id with a port is refused before fetch).
  const clientIdRules = profile.clientIdRules;
  // The same rules before an operator's refresh or a revalidation: the guard around a resolver
  // that finds nothing throws the profile's refusal, or lets the client_id through.
  const guard = clientIdRules?.({ resolve: async () => undefined });
  const guarded =
    (step: (clientId: string) => Promise<ResolvedDocument | undefined>) => async (clientId: string) => {
      await guard?.resolve(clientId);
      return step(clientId);
    };
  return {
    resolver: clientIdRules === undefined ? resolver : clientIdRules(resolver),
    // A clean stop also writes the fetch log entries still under way.
    flushRefusals: async () => {
      await resolver.flushRefusals();
      await fetchLog.flush();
    },
    forget: resolver.forget,
    holds: resolver.holds,
    documents: { reload: guarded(resolver.reload), revalidate: guarded(resolver.revalidate) },
  };
}
