import {
  adminSchema,
  atprotoSchema,
  lifetimesSchema,
  operationsSchema,
  parSchema,
  resourceSchema,
  serverConfigSchema,
} from '@gatehouse-oauth/server';
import { z } from 'zod';

/**
 * The command line's schema: the server's (camelCase; every server default is there) with what
 * only a process has: where it listens and stores, TLS, logging, the metrics and admin listeners,
 * outbound fetch. Operators write it in snake_case (key-names.ts). Four keys keep the names operators'
 * files already use: `par.request_lifetime_seconds` (the server's lifetimes.pushedRequestSeconds),
 * `atproto.dev_allow_client_id_port` (atproto.allowClientIdPort), and `metrics.token` /
 * `metrics.process_metrics` (the server's `operations`); server-options.ts maps them.
 */
const port = z.int().min(0).max(65535);

const postgresSchema = z.strictObject({
  url: z.string().min(1).optional().describe('postgresql://user:password@host:5432/database'),
  poolSize: z.int().min(1).max(200).default(10).describe('connections per instance'),
  ssl: z.boolean().optional().describe("true: TLS with the system CAs; unset: the URL's sslmode"),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be lowercase letters, digits and _')
    .optional()
    .describe("a schema of its own; unset: the role's search_path"),
  connectTimeoutMs: z.int().min(100).max(60_000).default(5000).describe('connection timeout'),
});

/** The embedded store's durability (issue #18, finding 11; docs/deployment.md, "SQLite durability"). */
const sqliteSchema = z.strictObject({
  synchronous: z
    .enum(['normal', 'full'])
    .default('normal')
    .describe(
      'normal: a commit survives a crash of the process, the last ones may be lost on power loss; full: an fsync per (group) commit, survives that too',
    ),
  checkpointIntervalMs: z
    .int()
    .min(0)
    .max(60_000)
    .default(200)
    .describe(
      "WAL checkpoints on a worker thread this often; 0: SQLite's automatic checkpoint inside the committing request",
    ),
});

const fetchSchema = z.strictObject({
  /** Egress proxy (HTTPS_PROXY style) for deployments that filter egress themselves (CIMD-FETCH-8). */
  proxy: z.url().optional(),
  timeoutMs: z.int().min(100).max(30_000).default(5000),
  /** DEVELOPMENT ONLY (CIMD-FETCH-7): fetch from this machine's loopback interface. */
  devLoopback: z.boolean().default(false),
  /** DEVELOPMENT ONLY: extra CA certificate (PEM file) trusted for outbound fetches. */
  caFile: z.string().min(1).optional(),
  /** DEVELOPMENT ONLY: name → loopback address overrides, e.g. { "client.test": "127.0.0.1" }. */
  devHosts: z.record(z.string().min(1), z.string().min(1)).default({}),
});

/**
 * /metrics (issue #8, docs/operations.md). /healthz and /readyz are always on the main listener;
 * /metrics is served there only behind `token`, and on a separate listener only when `listen` is set.
 */
const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('off: /metrics is served nowhere'),
  token: operationsSchema.shape.metricsToken,
  listen: z
    .strictObject({ host: z.string().min(1).default('127.0.0.1'), port })
    .optional()
    .describe('a separate plain-http listener for /metrics, /healthz and /readyz'),
  // On here, unlike the library's default: a `gatehouse serve` process holds one server.
  processMetrics: z.boolean().default(true),
});

/**
 * The admin API (docs/admin-api.md): always behind admin API tokens; below the issuer on the main
 * listener, or only on a listener of its own when `listen` is set.
 */
const adminSettingsSchema = adminSchema.omit({ mainHandler: true }).extend({
  listen: z
    .strictObject({ host: z.string().min(1).default('127.0.0.1'), port })
    .optional()
    .describe('a listener of its own for the admin API; when set, it is served only there'),
});

/**
 * The listeners' limits and shutdown (issue #18 finding 8; docs/deployment.md): Node's timeouts, a
 * per-source connection cap, and how long in-flight requests may finish after SIGTERM.
 */
const httpSchema = z.strictObject({
  shutdownTimeoutMs: z
    .int()
    .min(0)
    .max(120_000)
    .default(10_000)
    .describe(
      'after SIGTERM or SIGINT: how long requests in flight may finish before every connection is cut',
    ),
  headersTimeoutMs: z
    .int()
    .min(1000)
    .max(120_000)
    .default(10_000)
    .describe('the request line and headers must arrive within this'),
  requestTimeoutMs: z
    .int()
    .min(1000)
    .max(600_000)
    .default(30_000)
    .describe('the whole request, body included, must arrive within this (a stalled upload is cut)'),
  keepAliveTimeoutMs: z
    .int()
    .min(100)
    .max(120_000)
    .default(5000)
    .describe('an idle keep-alive connection is closed after this'),
  maxConnectionsPerSource: z
    .int()
    .min(1)
    .max(100_000)
    .default(256)
    .describe('connections one source (an IPv4 address, an IPv6 /64) may hold open; more are closed at once'),
});

/**
 * The audit log's retention (issue #14, item 6; docs/operations.md). 400 days by default: a year of
 * history, as yearly reviews and PCI DSS 10.5.1 ask for, with a month to spare for the review
 * itself; not forever, because every token issued is an event and the table would only grow.
 */
const auditSettingsSchema = z.strictObject({
  retentionDays: z
    .int()
    .min(0)
    .max(36_500)
    .default(400)
    .describe('events older than this many days are deleted by `serve`, hourly; 0 keeps every event'),
});

export const cliSchema = serverConfigSchema.omit({ operations: true }).extend({
  /** Default: http(s)://localhost:<port> when listening on loopback (config.ts resolveIssuer). */
  issuer: serverConfigSchema.shape.issuer.optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  /** Data directory (SQLite database); created on first start. */
  data: z.string().min(1).default('.gatehouse'),
  store: z.enum(['sqlite', 'memory', 'postgres']).default('sqlite'),
  postgres: postgresSchema.prefault({}),
  sqlite: sqliteSchema.prefault({}),
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: pretty when stdout is a terminal, else JSON (log-format.ts chooseLogFormat). */
  logFormat: z.enum(['json', 'pretty']).optional(),
  // Operators' files may leave out a resource's scopes: it then offers none.
  resources: z
    .array(resourceSchema.extend({ scopes: resourceSchema.shape.scopes.default([]) }))
    .readonly()
    .default([]),
  lifetimes: lifetimesSchema.omit({ pushedRequestSeconds: true }).prefault({}),
  par: parSchema.extend({ requestLifetimeSeconds: lifetimesSchema.shape.pushedRequestSeconds }).prefault({}),
  atproto: atprotoSchema
    .omit({ allowClientIdPort: true })
    .extend({ devAllowClientIdPort: atprotoSchema.shape.allowClientIdPort })
    .prefault({}),
  metrics: metricsSchema.prefault({}),
  admin: adminSettingsSchema.prefault({}),
  audit: auditSettingsSchema.prefault({}),
  fetch: fetchSchema.prefault({}),
  http: httpSchema.prefault({}),
});

export type CliSettings = z.output<typeof cliSchema>;
export type CliInput = z.input<typeof cliSchema>;
