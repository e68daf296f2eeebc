import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The one configuration schema: a JSON file, then `GATEHOUSE_*` environment variables, then
 * command-line flags, each overriding the one before. Every level is strict: an unknown key,
 * variable or flag is an error that names it, because a misspelt security setting that is silently
 * ignored is worse than a server that does not start.
 */
const resourceSchema = z.strictObject({
  uri: z.string().url(),
  scopes: z.array(z.string().min(1)).default([]),
  default_scopes: z.array(z.string().min(1)).optional(),
  name: z.string().optional(),
});

const lifetimesSchema = z.strictObject({
  access_token_seconds: z.coerce.number().int().min(30).max(86400).optional(),
  refresh_token_seconds: z.coerce.number().int().min(60).optional(),
  token_family_seconds: z.coerce.number().int().min(60).optional(),
  /** AT-10: refresh tokens of clients that authenticate (private_key_jwt, client_secret_*). */
  confidential_refresh_token_seconds: z.coerce.number().int().min(60).optional(),
  /** AT-10: the absolute session lifetime of those clients. */
  confidential_token_family_seconds: z.coerce.number().int().min(60).optional(),
  refresh_grace_seconds: z.coerce.number().int().min(0).max(300).optional(),
  authorization_code_seconds: z.coerce.number().int().min(10).max(600).optional(),
  authorization_request_seconds: z.coerce.number().int().min(60).max(3600).optional(),
  login_session_seconds: z.coerce.number().int().min(60).optional(),
});

const cimdSchema = z.strictObject({
  /** Accept https client_ids as Client ID Metadata Documents (advertised in the metadata). */
  enabled: z.boolean().default(true),
  min_ttl_seconds: z.coerce.number().int().min(0).max(86400).default(300),
  max_ttl_seconds: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86400)
    .default(86400),
  /** A redirect_uri missing from the cached document re-fetches it, at most this often per client. */
  refresh_cooldown_seconds: z.coerce.number().int().min(0).max(3600).default(30),
  /** The fetch governor: outbound document fetches per second to one host, and in all. */
  fetches_per_second_per_host: z.coerce.number().min(0.1).max(1000).default(5),
  fetches_per_second: z.coerce.number().min(1).max(10_000).default(50),
  /** What a security-relevant document change does to existing grants (docs/cimd.md). */
  on_change: z.enum(['keep', 'reconsent', 'revoke']).default('reconsent'),
  /** CIMD-URL-6: client ID URLs with a query are refused unless this is true. */
  allow_query: z.boolean().default(false),
  /** CIMD-DOC-10: a document without token_endpoint_auth_method is a public client, or refused. */
  missing_auth_method: z.enum(['none', 'reject']).default('none'),
});

const rateLimitSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1_000_000),
  window_seconds: z.coerce.number().int().min(1).max(86400),
});

/** Dynamic Client Registration (RFC 7591/7592), docs/dcr.md. Mirrors RegistrationOptions. */
const registrationSchema = z.strictObject({
  /** Serve POST /register and advertise registration_endpoint. */
  enabled: z.boolean().default(true),
  /** Who may register: anyone, initial access token holders, or software statement holders. */
  policy: z.enum(['open', 'initial_access_token', 'software_statement']).default('open'),
  software_statement_issuers: z
    .array(
      z.strictObject({
        iss: z.string().min(1),
        jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }),
      }),
    )
    .default([]),
  /** Lifetime of generated client secrets; 0 = never expire. */
  secret_lifetime_seconds: z.coerce.number().int().min(0).default(0),
  /** Answer a public client registering the same software and metadata again with its client_id. */
  recognise_re_registration: z.boolean().default(true),
  rotate_registration_access_token: z.enum(['never', 'on_read', 'on_update']).default('on_update'),
  /** Unset limits keep the defaults of docs/dcr.md. */
  rate_limits: z
    .strictObject({
      per_ip: rateLimitSchema.optional(),
      per_software: rateLimitSchema.optional(),
      per_redirect_host: rateLimitSchema.optional(),
      management_failures: rateLimitSchema.optional(),
    })
    .default({}),
});

/** Pushed Authorization Requests, RFC 9126 (docs/decisions/0010-par.md). */
const parSchema = z.strictObject({
  /** Every client must push its authorization requests (RFC 9126 §5). */
  required: z.boolean().default(false),
  /** Lifetime of a `request_uri` (RFC 9126 §2.2: short; it is single-use anyway). */
  request_lifetime_seconds: z.coerce.number().int().min(5).max(600).default(60),
});

/**
 * DPoP, RFC 9449 (docs/dpop.md). Mirrors DpopOptions; unset keys keep the server's defaults (nonce
 * `required`, window 60 s, ES256 ES384 EdDSA RS256 PS256, not required), so a profile can set them.
 */
const dpopSchema = z.strictObject({
  /** Server nonces in DPoP proofs at PAR and token (RFC 9449 §8; AT-11 makes them mandatory). */
  nonce: z.enum(['required', 'off']).optional(),
  /** Nonce rotation window in seconds (AT-11: at most 300). */
  window_seconds: z.coerce.number().int().min(1).max(300).optional(),
  /** Accepted DPoP proof algorithms (asymmetric only; checked when the server starts). */
  algorithms: z.array(z.string().min(1)).min(1).optional(),
  /** Every token request must carry a DPoP proof, whatever the client. */
  required: z.boolean().optional(),
  /** Every pushed authorization request must carry a DPoP proof (checked before client authentication). */
  required_at_par: z.boolean().optional(),
});

/**
 * Prometheus /metrics, issue #8 (docs/operations.md, docs/decisions/0014-metrics-and-health.md).
 * /healthz and /readyz are always served at the root of the main listener. /metrics is served on
 * the main listener only behind `token`, and on a separate listener only when `listen` is set
 * (loopback by default): with neither, it is not served anywhere.
 */
const metricsSchema = z.strictObject({
  /** Off: /metrics is served nowhere, whatever else is set. */
  enabled: z.boolean().default(true),
  /** Bearer token for /metrics (at least 16 characters), required on every listener when set. */
  token: z.string().min(16).optional(),
  /** A separate plain-http listener for /metrics, /healthz and /readyz. */
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535),
    })
    .optional(),
  /** Process metrics (CPU, memory, event loop lag, GC), prefixed gatehouse_. */
  process_metrics: z.boolean().default(true),
});

/** The AT Protocol profile's own switches (docs/atproto.md); read when `profile` is `atproto`. */
const atprotoSchema = z.strictObject({
  /** AT-5: `http://localhost` client_ids are the loopback development client. */
  loopback_client: z.boolean().default(true),
  /** DEVELOPMENT ONLY: accept https client_ids with a port (AT-2 forbids them). */
  dev_allow_client_id_port: z.boolean().default(false),
});

const fetchSchema = z.strictObject({
  /** Egress proxy (HTTPS_PROXY style) for deployments that filter egress themselves (CIMD-FETCH-8). */
  proxy: z.string().url().optional(),
  timeout_ms: z.coerce.number().int().min(100).max(30_000).default(5000),
  /** DEVELOPMENT ONLY (CIMD-FETCH-7): fetch from this machine's loopback interface. */
  dev_loopback: z.boolean().default(false),
  /** DEVELOPMENT ONLY: extra CA certificate (PEM file) trusted for outbound fetches. */
  ca_file: z.string().min(1).optional(),
  /** DEVELOPMENT ONLY: name → loopback address overrides, e.g. { "client.test": "127.0.0.1" }. */
  dev_hosts: z.record(z.string().min(1), z.string().min(1)).default({}),
});

export const configSchema = z.strictObject({
  /** RFC 8414 issuer. Default: http(s)://localhost:<port> when listening on loopback. */
  issuer: z.string().url().optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Data directory (SQLite database); created on first start. */
  data: z.string().min(1).default('.gatehouse'),
  store: z.enum(['sqlite', 'memory', 'postgres']).default('sqlite'),
  /** PostgreSQL, for several instances behind one issuer (`store: postgres`). */
  postgres: z
    .strictObject({
      /** postgresql://user:password@host:5432/database (or GATEHOUSE_POSTGRES__URL). */
      url: z.string().min(1).optional(),
      pool_size: z.coerce.number().int().min(1).max(200).default(10),
      /** true for TLS with the system CAs; omit to follow the URL's sslmode. */
      ssl: z.boolean().optional(),
      /** A schema of its own (lowercase letters, digits, _); default: the role's search_path. */
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/)
        .optional(),
      connect_timeout_ms: z.coerce.number().int().min(100).max(60_000).default(5000),
    })
    .default({ pool_size: 10, connect_timeout_ms: 5000 }),
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  service_name: z.string().min(1).max(64).default('Gatehouse'),
  resources: z.array(resourceSchema).default([]),
  default_resource: z.string().url().optional(),
  lifetimes: lifetimesSchema.default({}),
  cimd: cimdSchema.default(cimdSchema.parse({})),
  fetch: fetchSchema.default(fetchSchema.parse({})),
  registration: registrationSchema.default(registrationSchema.parse({})),
  par: parSchema.default(parSchema.parse({})),
  metrics: metricsSchema.default(metricsSchema.parse({})),
  dpop: dpopSchema.default({}),
  /**
   * Defaults for a kind of deployment; explicit settings win. `mcp`: what MCP clients need
   * (docs/mcp.md); `atproto`: the AT Protocol OAuth profile.
   */
  profile: z.enum(['default', 'atproto', 'mcp']).default('default'),
  atproto: atprotoSchema.default(atprotoSchema.parse({})),
  /** CORS on PAR, token and revocation (AT-13). Default: on in the atproto profile, else off. */
  cors: z.boolean().optional(),
  /**
   * AT-9: re-check the keys of confidential sessions this often (seconds; 0 = only at refresh).
   * Default: 900 in the atproto profile, else 0.
   */
  client_key_recheck_seconds: z.coerce.number().int().min(0).max(86400).optional(),
});

export type GatehouseConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Already-parsed flags, with config names (`tls_cert` etc. mapped by the caller). */
  flags?: Record<string, unknown>;
}

const ENV_PREFIX = 'GATEHOUSE_';

export function loadConfig(sources: ConfigSources): GatehouseConfig {
  const env = sources.env ?? {};
  const merged: Record<string, unknown> = {};
  const file = sources.file ?? env.GATEHOUSE_CONFIG;
  if (file !== undefined) deepMerge(merged, readConfigFile(file), file);
  deepMerge(merged, fromEnvironment(env), 'environment');
  deepMerge(merged, sources.flags ?? {}, 'flags');
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => [path, key].filter(Boolean).join('.')).join(', ')}`;
      }
      return `${path || '(root)'}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

function readConfigFile(path: string): Record<string, unknown> {
  const full = resolve(path);
  if (!existsSync(full)) throw new ConfigError(`config file ${full} does not exist`);
  try {
    const parsed: unknown = JSON.parse(readFileSync(full, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`config file ${full} is not a JSON object: ${(error as Error).message}`);
  }
}

/** `GATEHOUSE_LOG_LEVEL` → log_level; `GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECONDS` → lifetimes.access_token_seconds. */
export function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === 'GATEHOUSE_CONFIG' || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    let target = out;
    for (const key of path.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[path.at(-1)!] = /^\s*[[{]/.test(value) ? parseJsonValue(name, value) : value;
  }
  return out;
}

function parseJsonValue(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`${name} looks like JSON but does not parse`);
  }
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>, origin: string): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new ConfigError(`${origin}: ${key} is not a valid setting`);
    }
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) deepMerge(existing, value, origin);
    else if (value !== undefined) target[key] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

/** The issuer: configured, or derived for a loopback development server. */
export function resolveIssuer(config: GatehouseConfig, boundPort: number): string {
  if (config.issuer !== undefined) return config.issuer.replace(/\/$/, '');
  if (!isLoopbackHost(config.host)) {
    throw new ConfigError(
      'set issuer (--issuer or GATEHOUSE_ISSUER) when listening on a non-loopback address',
    );
  }
  return `${config.tls === undefined ? 'http' : 'https'}://localhost:${boundPort}`;
}
