import type { AuthorizationServerOptions, ServerConfigInput } from '@gatehouse-oauth/server';
import type { GatehouseConfig } from './config.ts';

/**
 * The server's settings from the configuration: what the operator set, as set, so a profile can
 * still tell an explicit `false` from a default (the server applies the defaults, decision 0024),
 * with the keys whose CLI names differ from the library's moved to their place.
 */
export function serverSettings(config: GatehouseConfig, issuer: string): ServerConfigInput {
  const {
    issuer: _issuer,
    host: _host,
    port: _port,
    data: _data,
    store: _store,
    postgres: _postgres,
    tls: _tls,
    logLevel: _logLevel,
    logFormat: _logFormat,
    fetch: _fetch,
    metrics: _metrics,
    http: _http,
    admin,
    // The process's own job (audit-retention.ts), not the library's.
    audit: _audit,
    resources: _resources,
    par,
    atproto,
    lifetimes,
    ...settings
  } = config.given;
  const { requestLifetimeSeconds, ...parSettings } = par ?? {};
  const { devAllowClientIdPort, ...atprotoSettings } = atproto ?? {};
  return {
    ...settings,
    issuer,
    // Parsed: a resource without scopes has its `[]` (config/cli-schema.ts).
    resources: config.resources,
    lifetimes: {
      ...lifetimes,
      ...(requestLifetimeSeconds === undefined ? {} : { pushedRequestSeconds: requestLifetimeSeconds }),
    },
    par: parSettings,
    atproto: {
      ...atprotoSettings,
      ...(devAllowClientIdPort === undefined ? {} : { allowClientIdPort: devAllowClientIdPort }),
    },
    operations: operationsSettings(config.metrics),
    ...adminSettings(admin),
  };
}

/** `admin`: with a listener of its own (serve.ts binds it), the API is served only there. */
function adminSettings(admin: GatehouseConfig['given']['admin']): Pick<ServerConfigInput, 'admin'> {
  if (admin?.enabled === undefined && admin?.listen === undefined) return {};
  return {
    admin: {
      ...(admin.enabled === undefined ? {} : { enabled: admin.enabled }),
      ...(admin.listen === undefined ? {} : { mainHandler: false }),
    },
  };
}

/** The `metrics` section → the server's `operations`: the token reaches it only when enabled. */
function operationsSettings(metrics: GatehouseConfig['metrics']): AuthorizationServerOptions['operations'] {
  return {
    processMetrics: metrics.processMetrics,
    ...(metrics.enabled && metrics.token !== undefined ? { metricsToken: metrics.token } : {}),
  };
}
