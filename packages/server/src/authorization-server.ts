import { createSafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { Registry } from 'prom-client';
import { type AdminSurface, createAdminSurface } from './admin/admin-surface.ts';
import { createAuditQuery } from './audit/audit-query.ts';
import { type Audit, createAudit, storeAuditSink } from './audit/audit-trail.ts';
import { type RevalidationPass, startBackgroundRevalidation } from './cimd/background-revalidation.ts';
import { createClientLogoCache } from './cimd/client-logo-cache.ts';
import { createDocumentFreshness, type DocumentFreshnessOperations } from './cimd/document-freshness.ts';
import { createDocumentHistory } from './cimd/document-history.ts';
import { startClientChangeListener } from './clients/client-change-listener.ts';
import {
  type ClientKeyRecheckResult,
  recheckClientKeys,
  startClientKeyRecheck,
} from './clients/client-key-recheck.ts';
import { type ClientLifecycle, createClientLifecycle } from './clients/client-lifecycle.ts';
import { createClientMemory } from './clients/client-memory.ts';
import { createClientResolution } from './clients/client-resolution.ts';
import { resolveServerOptions } from './config/resolve-options.ts';
import { CONSOLE_ABSOLUTE_SECONDS, CONSOLE_IDLE_SECONDS } from './console/console-session.ts';
import { buildContext, type ServerContext } from './context.ts';
import { createClientGovernance } from './governance/client-governance.ts';
import { createGovernanceAdmin, type GovernanceAdmin } from './governance/governance-admin.ts';
import type { RequestInfo } from './http/request-info.ts';
import { answerUnmatched, createServerApp } from './http/server-app.ts';
import { isStoreUnavailableError } from './http/store-unavailable.ts';
import { type ClientInventory, createClientInventory } from './inventory/client-inventory.ts';
import { createKeyRing } from './keys/signing-keys.ts';
import { silentLogger } from './logger.ts';
import { countAuditEvent, createMetrics } from './metrics.ts';
import { observedFetch } from './observed-fetch.ts';
import { createOperations, type OperationsHandlers } from './operations/operations-endpoints.ts';
import { mountOperationsRoutes, observeRequests } from './operations/operations-routes.ts';
import type { AuthorizationServerOptions } from './options.ts';
import { consentPage } from './pages/consent-page.ts';
import { mountPageRoutes } from './pages/page-routes.ts';
import { profileNamed } from './profiles/profile-registry.ts';
import { mountProtocolRoutes } from './protocol/protocol-routes.ts';
import { mountRegistrationRoutes } from './registration/registration-routes.ts';
import { resolveRegistrationSettings } from './registration/registration-settings.ts';
import { createUserAdmin } from './users/user-admin.ts';
import { localPasswordAuthentication } from './users/user-authentication.ts';

export interface AuthorizationServer {
  /**
   * The whole server as one web-standard handler: mount it in Node http, Express, Fastify or Hono.
   * `info.remoteAddress` (the TCP peer, or the client address a trusted proxy vouches for) keys
   * the registration rate limits; without it those limits fall back to the other keys.
   */
  fetch(request: Request, info?: RequestInfo): Promise<Response>;
  /**
   * Prepares what the first requests would otherwise make: the signing key (on first start) and the
   * DPoP nonce secret shared by every instance on the store (first writer wins). Optional: both are
   * made on first use otherwise; a CLI start awaits it so the first token request is not slower.
   */
  ready(): Promise<void>;
  /**
   * Records an audit event the way the server does (log line, then the audit sink): for jobs that
   * run beside the server, like the registration reaper.
   */
  readonly audit: Audit;
  /** Prometheus metrics of this server (prom-client registry). */
  readonly metrics: Registry;
  /**
   * /healthz, /readyz and /metrics as handlers; `operations.fetch` serves all three by path on a
   * separate, private listener (docs/operations.md).
   */
  readonly operations: OperationsHandlers;
  /**
   * AT-9: re-reads the documents and keys of clients with key-bound sessions now and revokes the
   * sessions whose key is gone (clients/client-key-recheck.ts). The timer of
   * `clientKeyRecheckSeconds` runs the same pass.
   */
  recheckClientKeys(now?: number): Promise<ClientKeyRecheckResult>;
  /**
   * The one client lifecycle (clients/client-lifecycle.ts): remove a client, revoke everything it
   * holds, end one session; audited with the actor given, seen by every instance within seconds.
   */
  readonly clients: ClientLifecycle;
  /**
   * The operator's governance operations (issue #13, governance/governance-admin.ts): approve,
   * block, unblock, tiers, holds, the rules and what awaits approval. Each write is stored,
   * applied here at once and on every other instance within a poll, and audited with its actor.
   */
  readonly governance: GovernanceAdmin;
  /**
   * The admin HTTP API (docs/admin-api.md): `admin.fetch` serves it at the root for a listener of
   * its own (`/admin/v1/…`); `admin.tokens` issues, lists and revokes its bearer tokens.
   */
  readonly admin: AdminSurface;
  /**
   * The operator's freshness operations on Client ID Metadata Documents (issue #14, item 5,
   * cimd/document-freshness.ts): `refresh` fetches a client's document now, `evict` drops it; on
   * every instance, audited with the actor given.
   */
  readonly documents: DocumentFreshnessOperations;
  /**
   * One pass of the background revalidation now (cimd/background-revalidation.ts): the documents
   * of clients used within `cimd.revalidateUsedWithinDays` that are due are revalidated. The timer
   * runs the same pass when that setting is not 0.
   */
  revalidateDocuments(): Promise<RevalidationPass>;
  /**
   * The client inventory (issue #14, inventory/client-inventory.ts): every client with its owner,
   * state, tier and activity; the blast radius of a client, domain, software_id or user, and
   * revoking it; the connections (grants) of users and clients. What `gatehouse clients
   * list|show|set-owner|blast-radius` and the admin API call.
   */
  readonly inventory: ClientInventory;
  /**
   * Stops the server's own timers (the client key re-check, the client change listener) and writes what it holds pending: the
   * aggregated `cimd.refused` counts of the fetch governor's refusals (decision 0020), which would
   * otherwise be lost with the process. Await it before closing the store. The handler keeps
   * working (a later refusal opens a new window).
   */
  stop(): Promise<void>;
}

/**
 * Builds the authorization server: the profile's defaults, then each part from the parts before it
 * (no part is filled in later), then the surfaces' routes on one router. Endpoints are plain
 * `(Request) => Promise<Response>` functions; Hono only routes between them.
 */
export function createAuthorizationServer(given: AuthorizationServerOptions): AuthorizationServer {
  // Validated, the profile's defaults, then the schema's (config/resolve-options.ts); the profile
  // also fills its hooks (profiles/profile.ts). Everything below reads the result.
  const options = resolveServerOptions(given);
  // The store's clock when it has one (PostgreSQL: the database's), so instances decide on one time.
  const clock = options.clock ?? options.store.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const metrics = createMetrics({ processMetrics: options.operations.processMetrics });
  const audit = createAudit({
    logger,
    clock,
    sink: options.auditSink ?? storeAuditSink(options.store.audit),
    // The metrics count every audit event (metrics.ts countAuditEvent).
    observe: (event) => countAuditEvent(metrics, event),
  });
  const outboundFetch = observedFetch(options.outboundFetch ?? createSafeFetch(), metrics, audit);
  // The profile's hooks may fetch (atproto: Lexicon permission sets), through the same fetcher.
  const hooks = profileNamed(options.profile).hooks(options, { outboundFetch, clock, logger });
  // A client's jwks_uri is attacker-chosen too (CIMD-FETCH-6): same fetcher, room for a few RSA keys.
  const fetchJwks =
    options.fetchJwks ?? (async (uri: string) => (await outboundFetch(uri, { maxBytes: 64 * 1024 })).json());
  const features = { cimd: options.cimd.enabled, registration: options.registration.enabled };
  // Resolved up front so a bad registration configuration stops the start, not a request.
  const registrationSettings = resolveRegistrationSettings(options.registration);
  // What this instance holds in memory about clients, forgotten when a client is removed here or
  // (through the change feed) on any other instance or by the CLI.
  const clientMemory = createClientMemory();
  const lifecycle = createClientLifecycle({ store: options.store, clock, audit, memory: clientMemory });
  // Issue #13: the operator's rules, holds and tiers, reloaded on every `governance` change.
  const governance = createClientGovernance({
    store: options.store.governance,
    config: options.governance,
    metrics,
  });
  const clients = createClientResolution(options, {
    outboundFetch,
    clock,
    audit,
    metrics,
    logger,
    profile: hooks,
    lifecycle,
    memory: clientMemory,
    governance,
  });
  // Issue #14, item 5: refresh and evict, through this instance's resolver and memory.
  const documents = createDocumentFreshness({
    reload: clients.documents?.reload,
    store: options.store,
    memory: clientMemory,
    governance,
    clock,
    audit,
  });
  const ctx = buildContext({
    options: { ...options, fetchJwks },
    keys: createKeyRing(options.store.signingKeys, clock),
    clients: clients.resolver,
    clientLifecycle: lifecycle,
    governance,
    features,
    // CIMD-CACHE-6: logos come through the same hardened fetcher, and are served from our origin.
    clientLogos: createClientLogoCache({ fetch: outboundFetch, clock }),
    logger,
    clock,
    audit,
    profile: hooks,
    authenticateUser: options.authenticateUser ?? localPasswordAuthentication(options.store.users),
    renderConsent: options.renderConsent ?? consentPage,
  });

  const app = createServerApp();
  observeRequests(app, { logger, metrics, basePath: ctx.basePath });
  const operations = createOperations({
    registry: metrics.registry,
    store: options.store,
    logger,
    metricsToken: options.operations.metricsToken,
    readinessTimeoutMs: options.operations.readinessTimeoutMs,
  });
  mountOperationsRoutes(app, operations, options.operations.metricsToken !== undefined);
  mountProtocolRoutes(app, ctx);
  mountPageRoutes(app, ctx);
  if (features.registration) mountRegistrationRoutes(app, ctx, registrationSettings);
  const governanceAdmin = createGovernanceAdmin({
    store: options.store,
    lifecycle,
    audit,
    clock,
    fileRules: options.governance.rules,
    mode: options.governance.mode,
    reload: () => governance.reload(),
  });
  // Issue #14: the inventory reads with the governance snapshot requests are decided with.
  const inventory = createClientInventory({ store: options.store, governance, lifecycle, audit, clock });
  // Issue #13: the admin API, below the issuer's path and/or on `admin.fetch` (decision 0032).
  const admin = createAdminSurface({
    app,
    basePath: ctx.basePath,
    settings: options.admin,
    governance: governanceAdmin,
    inventory,
    clients: lifecycle,
    documents,
    store: options.store.adminTokens,
    audit,
    clock,
    logger,
    metrics,
    // Issue #14: the store's audit log, read by client, user, type, actor and time.
    auditLog: createAuditQuery({ audit: options.store.audit, users: options.store.users }),
    history: createDocumentHistory({ store: options.store }),
    users: createUserAdmin({ users: options.store.users, audit, clock }),
    // Issue #15: the admin console, beside the API (decision 0040).
    console: {
      serviceName: ctx.serviceName,
      primaryColor: ctx.pageTheme.primaryColor,
      secureCookies: ctx.secureCookies,
      origins: [new URL(ctx.issuer).origin],
      users: options.store.users,
      sessions: options.store.sessions,
      secrets: options.store.serverSecrets,
      loginThrottle: ctx.loginThrottle,
      idleSeconds: CONSOLE_IDLE_SECONDS,
      absoluteSeconds: CONSOLE_ABSOLUTE_SECONDS,
    },
  });
  answerUnmatched(app, logger);

  // AT-9: the periodic re-check of the keys confidential sessions are bound to.
  const recheckSeconds = options.clientKeyRecheckSeconds;
  const stopRecheck = recheckSeconds > 0 ? startClientKeyRecheck(ctx, recheckSeconds) : () => {};
  // Issue #14, item 5: the documents of used clients are revalidated before they expire.
  const revalidation = startBackgroundRevalidation({
    documents: clients.documents ?? { revalidate: async () => undefined },
    store: options.store,
    governance,
    clock,
    usedWithinMs: options.cimd.revalidateUsedWithinDays * 24 * 60 * 60 * 1000,
    logger,
    onOutcome: (outcome) => metrics.cimdBackgroundRevalidations.inc({ outcome }),
    timer: options.cimd.enabled && options.cimd.revalidateUsedWithinDays > 0,
  });
  // A client removed on another instance, or by the CLI, is forgotten here within one poll.
  const changes = startClientChangeListener({
    feed: options.store.clientChanges,
    intervalMs: options.clientChangePollMs,
    apply: (change) => {
      if (change.kind === 'governance') {
        // A rule, hold or approval changed somewhere: read them again (errors: the next change retries).
        governance.reload().catch((error: unknown) => logger.warn({ err: error }, 'governance not reloaded'));
      } else clientMemory.forget(change.clientId);
      metrics.clientChangesApplied.inc({ kind: change.kind });
    },
    // During a database outage every request already logs its 503; the next poll catches up.
    onError: (error) =>
      isStoreUnavailableError(error)
        ? logger.debug({ err: error }, 'client change feed not read: store unavailable')
        : logger.warn({ err: error }, 'client change feed not read'),
  });
  const server: AuthorizationServer = {
    fetch: async (request, info) => app.fetch(request, info === undefined ? {} : info),
    metrics: metrics.registry,
    operations,
    ready: async () => {
      await ctx.keys.signing();
      await ctx.dpop.nonces();
      await governance.current();
    },
    audit,
    recheckClientKeys: (now) => recheckClientKeys(ctx, now),
    clients: lifecycle,
    governance: governanceAdmin,
    admin,
    documents,
    revalidateDocuments: () => revalidation.pass(),
    inventory,
    // Decision 0020: pending refusal counts are written on a clean stop, not lost with the process.
    stop: async () => {
      stopRecheck();
      revalidation.stop();
      changes.stop();
      clients.stop();
      await clients.flushRefusals();
    },
  };
  contexts.set(server, ctx);
  return server;
}

/** The context of each server, for tests that inspect resolved settings; never part of the package API. */
const contexts = new WeakMap<AuthorizationServer, ServerContext>();

/** Internal (test support): the resolved context of a server made by createAuthorizationServer. */
export function serverContextOf(server: AuthorizationServer): ServerContext {
  const ctx = contexts.get(server);
  if (ctx === undefined) throw new Error('not a server made by createAuthorizationServer');
  return ctx;
}
