import { readFileSync } from 'node:fs';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  createLogger,
  type Store,
  type SubjectSupplier,
} from '@gatehouse-oauth/server';
import type { Logger } from 'pino';
import { ConfigError, type GatehouseConfig, resolveIssuer } from '../config.ts';
import { type Listener, listen } from '../http-listener.ts';
import { openStore } from '../open-store.ts';
import { outboundFetchFromConfig } from '../outbound-fetch.ts';
import { startRegistrationHygiene } from '../registration-hygiene.ts';
import { serverSettings } from '../server-options.ts';

export interface RunningGatehouse {
  issuer: string;
  /** Development switches in force, said at every start. */
  warnings: string[];
  port: number;
  /** The separate metrics listener's port, when `metrics.listen` is set (docs/operations.md). */
  metricsPort?: number;
  store: Store;
  server: AuthorizationServer;
  stop(): Promise<void>;
}

/**
 * `gatehouse serve`: opens the store (creating the data directory and the first signing key on
 * first start), listens, and builds the server once the port, and so the default issuer, is known.
 */
export async function startGatehouse(
  config: GatehouseConfig,
  options: { logger?: Logger; subject?: SubjectSupplier } = {},
): Promise<RunningGatehouse> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // Built before anything opens, so a refused development switch stops the start cleanly.
  const outbound = outboundFetchFromConfig(config);
  const store = await openStore(config);
  let server: AuthorizationServer | undefined;
  let listener: Listener;
  try {
    listener = await listen({
      host: config.host,
      port: config.port,
      tls:
        config.tls === undefined
          ? undefined
          : { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
      fetch: (request, info) => server!.fetch(request, info),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  let issuer: string;
  try {
    issuer = resolveIssuer(config, listener.port);
    server = buildServer(config, issuer, store, logger, outbound.fetch, options.subject);
  } catch (error) {
    // A refused configuration (a profile's MUST, a bad issuer) must not leave the port open, and
    // is said as a configuration error (exit 2, no stack trace).
    await listener.close();
    await store.close();
    throw error instanceof Error && !(error instanceof ConfigError) ? new ConfigError(error.message) : error;
  }
  // First start: make the signing key and the DPoP nonce secret (shared by every instance on this
  // store, first writer wins) now, not on the first token request.
  await server.ready();
  const purge = setInterval(() => {
    store
      .purgeExpired(Date.now())
      .catch((error: unknown) => logger.warn({ err: error }, 'purge of expired rows failed'));
  }, 60_000);
  purge.unref();
  // DCR-SEC-7: registrations never used, or idle for long, are reaped with their grants and tokens.
  const stopRegistrationHygiene = startRegistrationHygiene(store, logger, server.clients);
  // Issue #8: /metrics, /healthz and /readyz on a listener of their own, when configured.
  let metricsListener: Listener | undefined;
  if (config.metrics.enabled && config.metrics.listen !== undefined) {
    const operations = server.operations;
    try {
      metricsListener = await listen({
        host: config.metrics.listen.host,
        port: config.metrics.listen.port,
        fetch: (request) => operations.fetch(request),
      });
    } catch (error) {
      clearInterval(purge);
      stopRegistrationHygiene();
      await server.stop();
      await listener.close();
      await store.close();
      throw error;
    }
  }
  for (const warning of outbound.warnings) logger.warn(warning);
  return {
    issuer,
    warnings: outbound.warnings,
    port: listener.port,
    ...(metricsListener === undefined ? {} : { metricsPort: metricsListener.port }),
    store,
    server,
    async stop() {
      clearInterval(purge);
      stopRegistrationHygiene();
      await metricsListener?.close();
      await listener.close();
      // After the listener: refusals of the last requests are in the counts it writes (decision
      // 0020), and the store commits them before it closes.
      await server.stop();
      await store.close();
    },
  };
}

/** The server for this configuration; throws when the options are refused (a profile's MUST). */
function buildServer(
  config: GatehouseConfig,
  issuer: string,
  store: Store,
  logger: Logger,
  outboundFetch: NonNullable<AuthorizationServerOptions['outboundFetch']>,
  subject: SubjectSupplier | undefined,
): AuthorizationServer {
  return createAuthorizationServer({
    ...serverSettings(config, issuer),
    store,
    logger,
    outboundFetch,
    ...(subject === undefined ? {} : { subject }),
  });
}

export async function serveCommand(config: GatehouseConfig): Promise<void> {
  const running = await startGatehouse(config);
  const users = await running.store.users.count();
  const say = (line: string) => process.stderr.write(`${line}\n`);
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
  const shutdown = (signal: string) => {
    say(`\n${signal}: stopping Gatehouse`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
