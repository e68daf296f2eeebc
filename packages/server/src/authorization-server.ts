import {
  type ClientMetadata,
  type ClientMetadataDocumentPolicy,
  validateClientMetadataDocument,
} from '@gatehouse/core';
import { createSafeFetch, type SafeFetch } from '@gatehouse/safe-fetch';
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import type { Registry } from 'prom-client';
import { cimdClientResolver } from './cimd/cimd-client-resolver.ts';
import { clientLogoResponse, createClientLogoCache } from './cimd/client-logo-cache.ts';
import { createFetchGovernor } from './cimd/fetch-governor.ts';
import { createDocumentCache } from './cimd/metadata-document-cache.ts';
import type { RefusalAuditLogger } from './cimd/refusal-audit.ts';
import {
  type ClientKeyRecheckResult,
  recheckClientKeys,
  startClientKeyRecheck,
} from './clients/client-key-recheck.ts';
import {
  type ClientResolver,
  chainClientResolvers,
  storedClientResolver,
} from './clients/client-resolver.ts';
import { loopbackClientResolver } from './clients/loopback-client-resolver.ts';
import { buildContext, type ServerContext } from './context.ts';
import { corsEndpoint, preflightResponse } from './http/cors.ts';
import type { RequestInfo } from './http/request-info.ts';
import { outcomeOf } from './http/request-outcome.ts';
import { jsonResponse, oauthErrorResponse } from './http/responses.ts';
import { isStoreUnavailableError, storeUnavailable } from './http/store-unavailable.ts';
import { createKeyRing } from './keys/signing-keys.ts';
import { countAuditEvent, countCacheEvent, createMetrics, type ServerMetrics } from './metrics.ts';
import { observedFetch } from './observed-fetch.ts';
import { countedCimdFetch } from './operations/cimd-fetch-metrics.ts';
import {
  createOperations,
  DEFAULT_READINESS_TIMEOUT_MS,
  type OperationsHandlers,
} from './operations/operations-endpoints.ts';
import { observeRequest } from './operations/request-metrics.ts';
import type { AuthorizationServerOptions } from './options.ts';
import { interactionEndpoints } from './pages/interaction-endpoint.ts';
import {
  atprotoClientIdGuard,
  atprotoClientPolicy,
  atprotoDocumentValidator,
  withAtprotoProfile,
} from './profiles/atproto-profile.ts';
import { withMcpProfile } from './profiles/mcp-profile.ts';
import { authorizationEndpoint } from './protocol/authorization-endpoint.ts';
import { introspectionEndpoint } from './protocol/introspection-endpoint.ts';
import { jwksEndpoint, metadataEndpoint } from './protocol/metadata-endpoint.ts';
import { pushedAuthorizationRequestEndpoint } from './protocol/pushed-authorization-request-endpoint.ts';
import { revocationEndpoint } from './protocol/revocation-endpoint.ts';
import { tokenEndpoint } from './protocol/token-endpoint.ts';
import { clientConfigurationEndpoint } from './registration/client-configuration-endpoint.ts';
import { registrationEndpoint } from './registration/registration-endpoint.ts';
import { resolveRegistrationSettings } from './registration/registration-settings.ts';
import type { AuditEvent } from './store/store.ts';

export interface AuthorizationServer {
  /**
   * The whole server as one web-standard handler: mount it in Node http, Express, Fastify or Hono.
   * `info.remoteAddress` (the TCP peer, or the client address a trusted proxy vouches for) keys
   * the registration rate limits; without it those limits fall back to the other keys.
   */
  fetch(request: Request, info?: RequestInfo): Promise<Response>;
  readonly context: ServerContext;
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
   * Stops the server's own timers (the client key re-check) and writes what it holds pending: the
   * aggregated `cimd.refused` counts of the fetch governor's refusals (decision 0020), which would
   * otherwise be lost with the process. Await it before closing the store. The handler keeps
   * working (a later refusal opens a new window).
   */
  stop(): Promise<void>;
}

/**
 * Builds the authorization server. Endpoints are plain `(Request) => Promise<Response>` functions;
 * Hono only routes between them. Routes live under the issuer's path; the well-known documents are
 * at the root with the issuer path inserted (RFC 8414 §3.1), and also appended for OpenID-style
 * discovery (MCP-2 lists both).
 */
/** The CIMD client resolver: raw URL rules, the cache (validated before storing), change handling. */
function createCimdResolver(
  options: AuthorizationServerOptions,
  outboundFetch: SafeFetch,
  clock: () => number,
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>,
  metrics: ServerMetrics,
  logger?: RefusalAuditLogger,
): { resolver: ClientResolver; flushRefusals: () => Promise<void> } {
  const cimd = options.cimd ?? {};
  const policy: ClientMetadataDocumentPolicy = {
    allowQuery: cimd.allowQuery ?? false,
    missingAuthMethod: cimd.missingAuthMethod ?? 'none',
  };
  // The AT Protocol profile adds its document rules (AT-4, AT-8) before anything is cached.
  const atproto = options.profile === 'atproto' ? atprotoClientPolicy(options) : undefined;
  const cache = createDocumentCache<ClientMetadata>({
    fetch: countedCimdFetch(outboundFetch, metrics),
    validate:
      atproto === undefined
        ? (body, url) => validateClientMetadataDocument(body, url, policy).metadata
        : atprotoDocumentValidator(policy, atproto),
    governor: createFetchGovernor({
      perHostRatePerSecond: cimd.fetchesPerSecondPerHost ?? 5,
      globalRatePerSecond: cimd.fetchesPerSecond ?? 50,
    }),
    clock,
    minTtlMs: (cimd.minTtlSeconds ?? 300) * 1000,
    maxTtlMs: (cimd.maxTtlSeconds ?? 86_400) * 1000,
    forceRefreshCooldownMs: (cimd.refreshCooldownSeconds ?? 30) * 1000,
    onEvent: (event) => countCacheEvent(metrics, event),
  });
  const resolver = cimdClientResolver({
    cache,
    store: options.store,
    clock,
    audit,
    onChange: cimd.onChange ?? 'reconsent',
    urlPolicy: policy,
    metrics,
    ...(logger === undefined ? {} : { logger }),
  });
  // AT-2: a client_id with a port is refused before its document is fetched.
  return {
    resolver: atproto === undefined ? resolver : atprotoClientIdGuard(resolver, atproto),
    flushRefusals: () => resolver.flushRefusals(),
  };
}

export function createAuthorizationServer(given: AuthorizationServerOptions): AuthorizationServer {
  // A profile only fills in defaults; everything below reads the result (docs/mcp.md).
  const options =
    given.profile === 'mcp'
      ? withMcpProfile(given)
      : given.profile === 'atproto'
        ? withAtprotoProfile(given)
        : given;
  const clock = options.clock ?? Date.now;
  const keys = createKeyRing(options.store.signingKeys, clock);
  let ctx: ServerContext | undefined;
  const metrics = createMetrics(
    options.operations?.processMetrics === undefined
      ? {}
      : { processMetrics: options.operations.processMetrics },
  );
  const outboundFetch = observedFetch(options.outboundFetch ?? createSafeFetch(), metrics, (event) =>
    ctx!.audit(event),
  );
  // A client's jwks_uri is attacker-chosen too (CIMD-FETCH-6): same fetcher, room for a few RSA keys.
  const fetchJwks =
    options.fetchJwks ?? (async (uri: string) => (await outboundFetch(uri, { maxBytes: 64 * 1024 })).json());
  const cimdEnabled = options.cimd?.enabled ?? true;
  const registrationEnabled = options.registration?.enabled ?? true;
  // Resolved up front so a bad registration configuration stops the start, not a request.
  const registrationSettings = resolveRegistrationSettings(options.registration);
  const resolvers: ClientResolver[] = [storedClientResolver(options.store.clients)];
  // AT-5: the loopback development client, without fetch (on in the atproto profile).
  if (options.atproto?.loopbackClient === true) resolvers.unshift(loopbackClientResolver());
  let flushRefusals = async (): Promise<void> => {};
  if (cimdEnabled) {
    // Governor refusals are audited in aggregate, with a debug line each (decision 0020).
    const logger: RefusalAuditLogger = {
      debug: (object, message) => ctx!.logger.debug(object, message),
      isLevelEnabled: (level) => ctx!.logger.isLevelEnabled(level),
    };
    const cimdResolver = createCimdResolver(
      options,
      outboundFetch,
      clock,
      (event) => ctx!.audit(event),
      metrics,
      logger,
    );
    resolvers.push(cimdResolver.resolver);
    flushRefusals = cimdResolver.flushRefusals;
  }
  // CIMD-CACHE-6: logos come through the same hardened fetcher, and are served from our origin.
  const clientLogos = createClientLogoCache({ fetch: outboundFetch, clock });
  ctx = buildContext(
    { ...options, fetchJwks },
    keys,
    chainClientResolvers(...resolvers),
    { cimd: cimdEnabled, registration: registrationEnabled },
    clientLogos,
    (event) => countAuditEvent(metrics, event),
  );
  const base = ctx.basePath;
  // The transport's facts travel as Hono bindings, beside the Request, never on it.
  const app = new Hono<{ Bindings: RequestInfo }>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const outcome = outcomeOf(c.req.raw);
    // One line per request. The path only: queries and bodies carry codes and tokens. Built only
    // when `info` is on: the URL parse and the object were ~1.5 % of a PAR otherwise (issue #8).
    if (ctx.logger.isLevelEnabled('info')) {
      ctx.logger.info(
        {
          method: c.req.method,
          path: new URL(c.req.url).pathname,
          status: c.res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(outcome === undefined ? {} : { outcome }),
        },
        'request',
      );
    }
    observeRequest(metrics, {
      route: routePath(c),
      basePath: base,
      method: c.req.method,
      status: c.res.status,
      noted: outcome,
      seconds: (performance.now() - started) / 1000,
    });
  });

  // Issue #8: at the root, whatever the issuer's path. /metrics only behind a token here.
  const operations = createOperations({
    registry: metrics.registry,
    store: options.store,
    logger: ctx.logger,
    metricsToken: options.operations?.metricsToken,
    readinessTimeoutMs: options.operations?.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
  });
  app.all('/healthz', (c) => operations.healthz(c.req.raw));
  app.all('/readyz', (c) => operations.readyz(c.req.raw));
  if (options.operations?.metricsToken !== undefined)
    app.all('/metrics', (c) => operations.metrics(c.req.raw));

  const metadata = metadataEndpoint(ctx);
  for (const path of [
    `/.well-known/oauth-authorization-server${base}`,
    `/.well-known/openid-configuration${base}`,
    `${base}/.well-known/openid-configuration`,
    `${base}/.well-known/oauth-authorization-server`,
  ]) {
    app.get(path, metadata);
    if (ctx.cors) app.options(path, () => preflightResponse(['GET']));
  }
  app.get(`${base}/jwks`, jwksEndpoint(ctx));
  if (ctx.cors) app.options(`${base}/jwks`, () => preflightResponse(['GET']));
  const authorize = authorizationEndpoint(ctx);
  app.on(['GET', 'POST'], `${base}/authorize`, (c) => authorize(c.req.raw));
  const interaction = interactionEndpoints(ctx);
  app.get(`${base}/interaction/:id`, (c) => interaction.show(c.req.raw, c.req.param('id')));
  app.post(`${base}/interaction/:id/login`, (c) => interaction.login(c.req.raw, c.req.param('id')));
  app.post(`${base}/interaction/:id/consent`, (c) => interaction.consent(c.req.raw, c.req.param('id')));
  // Serves only what the consent page prefetched; never fetches (CIMD-CACHE-6).
  app.get(`${base}/client-logo/:key`, (c) => clientLogoResponse(ctx.clientLogos, c.req.param('key')));
  // AT-13: CORS (with preflight) on token, revocation and PAR when configured (http/cors.ts).
  const token = corsEndpoint(tokenEndpoint(ctx), ['POST'], ctx.cors);
  const revoke = corsEndpoint(revocationEndpoint(ctx), ['POST'], ctx.cors);
  const introspect = introspectionEndpoint(ctx);
  app.all(`${base}/token`, (c) => token(c.req.raw));
  app.all(`${base}/revoke`, (c) => revoke(c.req.raw));
  app.all(`${base}/introspect`, (c) => introspect(c.req.raw));
  // RFC 9126 §2: pushed authorization requests (docs/decisions/0010-par.md).
  const par = corsEndpoint(pushedAuthorizationRequestEndpoint(ctx), ['POST'], ctx.cors);
  app.all(`${base}/par`, (c) => par(c.req.raw));

  if (registrationEnabled) {
    // RFC 7591 §3 and RFC 7592 §2 (docs/dcr.md).
    const register = registrationEndpoint(ctx, registrationSettings);
    const configure = clientConfigurationEndpoint(ctx, registrationSettings);
    const info = (env: RequestInfo | undefined): RequestInfo =>
      env?.remoteAddress === undefined ? {} : { remoteAddress: env.remoteAddress };
    app.all(`${base}/register`, (c) => register(c.req.raw, info(c.env)));
    app.all(`${base}/register/:client_id`, (c) =>
      configure(c.req.raw, c.req.param('client_id'), info(c.env)),
    );
  }

  app.notFound(() => jsonResponse({ error: 'not_found' }, { status: 404 }));
  app.onError((error) => {
    // The documents (metadata, JWKS) read the store too: a database outage is a 503 there as well.
    if (isStoreUnavailableError(error)) return oauthErrorResponse(storeUnavailable(error, ctx.logger));
    ctx.logger.error({ err: error }, 'unhandled error');
    return jsonResponse({ error: 'server_error' }, { status: 500 });
  });

  const context = ctx;
  // AT-9: the periodic re-check of the keys confidential sessions are bound to.
  const recheckSeconds = options.clientKeyRecheckSeconds ?? 0;
  const stopRecheck = recheckSeconds > 0 ? startClientKeyRecheck(context, recheckSeconds) : () => {};
  return {
    fetch: async (request, info) => app.fetch(request, info === undefined ? {} : info),
    context,
    metrics: metrics.registry,
    operations,
    recheckClientKeys: (now) => recheckClientKeys(context, now),
    // Decision 0020: pending refusal counts are written on a clean stop, not lost with the process.
    stop: async () => {
      stopRecheck();
      await flushRefusals();
    },
  };
}
