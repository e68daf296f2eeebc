/**
 * The freshness operations (document-freshness.ts) for a process that runs beside the server on the
 * same store, without serving: `gatehouse clients refresh|evict`. Built from the options the server
 * would start with, with the server's own parts (the resolver and its cache, validation, governor,
 * change policy, lifecycle and governance), so a refresh from the command line fetches, validates,
 * records and applies the change policy exactly as a running instance would, and every instance
 * takes the result from the client change feed. The process holds no client in memory beyond the
 * command; nothing here starts a timer.
 */
import { createSafeFetch } from '@gatehouse-oauth/safe-fetch';
import { createAudit, storeAuditSink } from '../audit/audit-trail.ts';
import { createClientLifecycle } from '../clients/client-lifecycle.ts';
import { createClientMemory } from '../clients/client-memory.ts';
import { createClientResolution } from '../clients/client-resolution.ts';
import { resolveServerOptions } from '../config/resolve-options.ts';
import { createClientGovernance } from '../governance/client-governance.ts';
import { silentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { observedFetch } from '../observed-fetch.ts';
import type { AuthorizationServerOptions } from '../options.ts';
import { profileNamed } from '../profiles/profile-registry.ts';
import { createDocumentFreshness, type DocumentFreshnessOperations } from './document-freshness.ts';

export function createStandaloneDocumentFreshness(
  given: AuthorizationServerOptions,
): DocumentFreshnessOperations {
  // Resolved the server's way: a profile refuses what contradicts its MUSTs (the same Error).
  const options = resolveServerOptions(given);
  // As the server does (authorization-server.ts): the store's clock when it has one.
  const clock = options.clock ?? options.store.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  // Its own registry: what a command line does is counted nowhere.
  const metrics = createMetrics();
  const audit = createAudit({
    logger,
    clock,
    sink: options.auditSink ?? storeAuditSink(options.store.audit),
  });
  const memory = createClientMemory();
  const lifecycle = createClientLifecycle({ store: options.store, clock, audit, memory });
  const governance = createClientGovernance({
    store: options.store.governance,
    config: options.governance,
    metrics,
  });
  const outboundFetch = observedFetch(options.outboundFetch ?? createSafeFetch(), metrics, audit);
  const hooks = profileNamed(options.profile).hooks(options, { outboundFetch, clock, logger });
  const clients = createClientResolution(options, {
    outboundFetch,
    clock,
    audit,
    metrics,
    logger,
    profile: hooks,
    lifecycle,
    memory,
    governance,
  });
  // Only the operator's reload is used here, which admission control does not gate: no sampling.
  clients.stop();
  return createDocumentFreshness({
    reload: clients.documents?.reload,
    store: options.store,
    memory,
    governance,
    clock,
    audit,
  });
}
