import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  type Store,
  type SubjectSupplier,
  type TxtLookup,
} from '@gatehouse-oauth/server';
import type { Logger } from 'pino';
import { startAuditRetentionJob } from '../audit-retention.ts';
import { ConfigError, type GatehouseConfig, resolveIssuer } from '../config.ts';
import { checkDevelopmentSwitches } from '../development-switches.ts';
import { type ConnectionLimits, type Listener, listen } from '../http-listener.ts';
import {
  ADMIN_LISTENER,
  type ListenSettings,
  listenFailure,
  MAIN_LISTENER,
  METRICS_LISTENER,
} from '../listen-failure.ts';
import { cliLogger } from '../log-format.ts';
import { type OpenedStore, openStoreUndoably } from '../open-store.ts';
import { outboundFetchFromConfig } from '../outbound-fetch.ts';
import { startRegistrationHygiene } from '../registration-hygiene.ts';
import { serverSettings } from '../server-options.ts';
import { readTlsFiles } from '../tls-files.ts';

export interface RunningGatehouse {
  issuer: string;
  /** Development switches in force, said at every start. */
  warnings: string[];
  port: number;
  /** The separate metrics listener's port, when `metrics.listen` is set (docs/operations.md). */
  metricsPort?: number;
  /** The admin API's own listener's port, when `admin.listen` is set (docs/admin-api.md). */
  adminPort?: number;
  store: Store;
  server: AuthorizationServer;
  stop(): Promise<void>;
}

/**
 * `gatehouse serve`. Whatever can refuse a start is checked before anything is created on disk:
 * the development switches, the TLS files, both ports (bound), the issuer. Only then is the store
 * opened (creating the data directory and, on first start, the signing key), and the server built
 * once the port, and so the default issuer, is known. A refusal after that (a profile's MUST)
 * removes what the opening created.
 */
export async function startGatehouse(
  config: GatehouseConfig,
  options: { logger?: Logger; subject?: SubjectSupplier; resolveTxt?: TxtLookup } = {},
): Promise<RunningGatehouse> {
  const logger = options.logger ?? (await cliLogger(config));
  const outbound = outboundFetchFromConfig(config);
  outbound.warnings.push(...checkDevelopmentSwitches(config));
  const tls = config.tls === undefined ? undefined : readTlsFiles(config.tls);
  // Handlers are looked up per request: the server is built once the port is known. A request
  // that arrives while the store opens (migrations) is told to come back, as /readyz would say.
  let server: AuthorizationServer | undefined;
  const starting = () =>
    Promise.resolve(new Response('starting\n', { status: 503, headers: { 'retry-after': '1' } }));
  const limits = config.http;
  const listener = await bind(config.host, config.port, MAIN_LISTENER, tls, limits, (request, info) =>
    server === undefined ? starting() : server.fetch(request, info),
  );
  let metricsListener: Listener | undefined;
  let adminListener: Listener | undefined;
  let opened: OpenedStore | undefined;
  let issuer: string;
  try {
    // Issue #8: /metrics, /healthz and /readyz on a listener of their own, when configured.
    const metricsAt = config.metrics.enabled ? config.metrics.listen : undefined;
    if (metricsAt !== undefined) {
      metricsListener = await bind(
        metricsAt.host,
        metricsAt.port,
        METRICS_LISTENER,
        undefined,
        limits,
        (request) => (server === undefined ? starting() : server.operations.fetch(request)),
      );
    }
    // Issue #13: the admin API on a listener of its own, when configured; then only there. Its
    // bearer tokens travel over TLS when the main listener has it.
    const adminAt = config.admin.enabled ? config.admin.listen : undefined;
    if (adminAt !== undefined) {
      adminListener = await bind(adminAt.host, adminAt.port, ADMIN_LISTENER, tls, limits, (request) =>
        server === undefined ? starting() : server.admin.fetch(request),
      );
    }
    issuer = resolveIssuer(config, listener.port);
    opened = await openStoreUndoably(config);
    const { subject, resolveTxt } = options;
    server = buildServer(config, issuer, opened.store, logger, outbound.fetch, { subject, resolveTxt });
    // First start: make the signing key and the DPoP nonce secret (shared by every instance on
    // this store, first writer wins) now, not on the first token request.
    await server.ready();
  } catch (error) {
    await server?.stop();
    await adminListener?.close();
    await metricsListener?.close();
    await listener.close();
    await opened?.discard();
    throw error;
  }
  const store = opened.store;
  // A purge still running (SQLite paces a large one: sqlite-store.ts) is not overlapped by the next.
  let purging = false;
  const purge = setInterval(() => {
    if (purging) return;
    purging = true;
    store
      .purgeExpired(Date.now())
      .catch((error: unknown) => logger.warn({ err: error }, 'purge of expired rows failed'))
      .finally(() => {
        purging = false;
      });
  }, 60_000);
  purge.unref();
  // DCR-SEC-7: registrations never used, or idle for long, are reaped with their grants and tokens.
  const stopRegistrationHygiene = startRegistrationHygiene(store, logger, server.clients);
  // Issue #14: audit events past `audit.retention_days` are deleted, each purge audited by its count.
  const stopAuditRetention = startAuditRetentionJob(store, logger, server, config.audit.retentionDays);
  for (const warning of outbound.warnings) logger.warn(warning);
  const running = server;
  return {
    issuer,
    warnings: outbound.warnings,
    port: listener.port,
    ...(metricsListener === undefined ? {} : { metricsPort: metricsListener.port }),
    ...(adminListener === undefined ? {} : { adminPort: adminListener.port }),
    store,
    server: running,
    async stop() {
      clearInterval(purge);
      stopRegistrationHygiene();
      stopAuditRetention();
      // Issue #18 finding 8: stop accepting, let what is in flight finish (answered with
      // `Connection: close`) within the deadline, then cut what is left.
      const drainMs = config.http.shutdownTimeoutMs;
      await Promise.all([
        adminListener?.close(drainMs),
        metricsListener?.close(drainMs),
        listener.close(drainMs),
      ]);
      // After the listener: refusals of the last requests are in the counts it writes (decision
      // 0020), and the store commits them before it closes.
      await running.stop();
      await store.close();
    },
  };
}

/** A listener on host:port, or a StartupError saying why not and which setting to change. */
async function bind(
  host: string,
  port: number,
  settings: ListenSettings,
  tls: { cert: Buffer; key: Buffer } | undefined,
  limits: ConnectionLimits,
  fetch: Parameters<typeof listen>[0]['fetch'],
): Promise<Listener> {
  try {
    return await listen({ host, port, tls, fetch, limits });
  } catch (error) {
    throw listenFailure(error, host, port, settings);
  }
}

/**
 * The server for this configuration. A refusal (a profile's MUST, a bad issuer) is said as a
 * configuration error: exit 2, no stack trace.
 */
function buildServer(
  config: GatehouseConfig,
  issuer: string,
  store: Store,
  logger: Logger,
  outboundFetch: NonNullable<AuthorizationServerOptions['outboundFetch']>,
  injected: { subject?: SubjectSupplier | undefined; resolveTxt?: TxtLookup | undefined },
): AuthorizationServer {
  try {
    return createAuthorizationServer({
      ...serverSettings(config, issuer),
      store,
      logger,
      outboundFetch,
      ...(injected.subject === undefined ? {} : { subject: injected.subject }),
      // The DNS lookup of the Lexicon resolver (AT-16); tests answer it for their own hosts.
      ...(injected.resolveTxt === undefined ? {} : { resolveTxt: injected.resolveTxt }),
    });
  } catch (error) {
    throw error instanceof Error && !(error instanceof ConfigError) ? new ConfigError(error.message) : error;
  }
}

export async function serveCommand(config: GatehouseConfig): Promise<void> {
  const running = await startGatehouse(config);
  const users = await running.store.users.count();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // Before the banner: a supervisor may signal the moment it reads that the server is up, and a
  // signal that arrives before its handler would kill the process without draining.
  const shutdown = (signal: string) => {
    say(`\n${signal}: stopping Gatehouse`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  say('');
  say(`Gatehouse is running. Issuer: ${running.issuer}`);
  say(`  metadata:  ${running.issuer}/.well-known/oauth-authorization-server`);
  say(`  store:     ${config.store}${config.store === 'sqlite' ? ` (${config.data}/gatehouse.sqlite)` : ''}`);
  say(
    `  clients:   pre-registered${config.cimd.enabled ? ', Client ID Metadata Documents (https client_ids)' : ''}${
      config.registration.enabled ? `, dynamic registration (${config.registration.policy})` : ''
    }`,
  );
  say(`  health:    ${new URL(running.issuer).origin}/healthz, /readyz`);
  const withToken = config.metrics.enabled && config.metrics.token !== undefined;
  const listen = config.metrics.listen;
  if (running.metricsPort !== undefined && listen !== undefined) {
    const host = listen.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${running.metricsPort}/metrics`;
    say(`  metrics:   ${url}${withToken ? ' (bearer token)' : ''}`);
  }
  if (withToken) say(`  metrics:   ${new URL(running.issuer).origin}/metrics (bearer token)`);
  if (config.admin.enabled) {
    const adminAt = config.admin.listen;
    const base =
      running.adminPort === undefined || adminAt === undefined
        ? running.issuer
        : `${config.tls === undefined ? 'http' : 'https'}://${adminAt.host.includes(':') ? `[${adminAt.host}]` : adminAt.host}:${running.adminPort}`;
    say(`  admin API: ${base}/admin/v1 (admin API tokens: gatehouse admin-tokens issue)`);
  }
  for (const warning of running.warnings) say(`  WARNING: ${warning}`);
  if (users === 0) {
    say('  No users yet. Add one to log in with (in another terminal):');
    say("    printf '%s' 'a-long-password' | npm run gatehouse -- users add alice --password-stdin");
  } else {
    say(
      `  ${users} user(s) can log in; add more with: npm run gatehouse -- users add <name> --password-stdin`,
    );
  }
  say('  Stop with Ctrl-C.');
  say('');
}
