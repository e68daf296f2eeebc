import type { SafeFetch } from '@gatehouse/safe-fetch';
import type { Logger } from 'pino';
import type { AuditSink } from './audit/audit-trail.ts';
import type { DocumentChangePolicy } from './cimd/document-change.ts';
import type { ClientResolverDecorator } from './clients/client-resolver.ts';
import type { DpopOptions } from './dpop/dpop-settings.ts';
import type { ConsentRenderer } from './pages/consent-page.ts';
import type { Store } from './store/store.ts';
import type { SubjectSupplier } from './users/subject.ts';
import type { UserAuthenticator } from './users/user-authentication.ts';

/** A protected resource (RFC 8707 / RFC 9728) this server issues tokens for. */
export interface ResourceOptions {
  /** The resource identifier; becomes the access token `aud` exactly as written here. */
  uri: string;
  /** Scopes a token for this resource may carry. */
  scopes: readonly string[];
  /** Scopes granted when a request for this resource names none. */
  defaultScopes?: readonly string[];
  /** Shown on the consent page. */
  name?: string;
}

export interface Lifetimes {
  /** RFC 9068 access token lifetime. Short, because a JWT is verified without calling us (MCP-11). */
  accessTokenSeconds: number;
  /** Lifetime of each refresh token; rotation issues a new one each time. */
  refreshTokenSeconds: number;
  /** Absolute lifetime of a token family (one login): refreshing never extends it. */
  tokenFamilySeconds: number;
  /**
   * `refreshTokenSeconds` for confidential clients: those that authenticate at the token endpoint
   * (private_key_jwt, client_secret_*). Unset: `refreshTokenSeconds`. AT-10 allows them longer
   * refresh tokens (≤ 180 days) than public clients (≤ 14 days).
   */
  confidentialRefreshTokenSeconds?: number;
  /** `tokenFamilySeconds` for confidential clients (AT-10: may be unlimited). Unset: `tokenFamilySeconds`. */
  confidentialTokenFamilySeconds?: number;
  /** Window in which re-presenting a just-rotated refresh token is a parallel refresh, not theft. */
  refreshGraceSeconds: number;
  authorizationCodeSeconds: number;
  /** How long a user has to log in and consent. */
  authorizationRequestSeconds: number;
  loginSessionSeconds: number;
  /** How long a PAR `request_uri` may be used (RFC 9126 §2.2: short-lived; single use anyway). */
  pushedRequestSeconds: number;
}

export const defaultLifetimes: Lifetimes = {
  accessTokenSeconds: 300,
  refreshTokenSeconds: 14 * 24 * 3600,
  tokenFamilySeconds: 90 * 24 * 3600,
  refreshGraceSeconds: 10,
  authorizationCodeSeconds: 60,
  authorizationRequestSeconds: 600,
  loginSessionSeconds: 8 * 3600,
  pushedRequestSeconds: 60,
};

export interface AuthorizationServerOptions {
  /** RFC 8414 issuer: https (http only for loopback development), no query, no fragment. */
  issuer: string;
  store: Store;
  resources?: readonly ResourceOptions[];
  /** Resource used when a request names none. Without it such tokens are audience-bound to the issuer. */
  defaultResource?: string;
  lifetimes?: Partial<Lifetimes>;
  /** Epoch milliseconds; injectable so tests control time. */
  clock?: () => number;
  logger?: Logger;
  /** Product name on the pages. */
  serviceName?: string;
  /**
   * Fetches a client's `jwks_uri` (private_key_jwt, RFC 7523 §2.2) and returns the parsed JSON. Give
   * it the hardened fetcher (@gatehouse/safe-fetch, CIMD-FETCH-6): the URI is chosen by the client.
   * Without it, clients that publish their keys by `jwks_uri` are refused; inline `jwks` still work.
   */
  fetchJwks?: (uri: string) => Promise<unknown>;
  /**
   * Accept only the issuer, as a single string, as a client assertion's `aud`
   * (draft-ietf-oauth-rfc7523bis). Off by default: the token endpoint URL is accepted too, because
   * many deployed clients send it (RFC 7523 §3, OpenID Connect Core §9).
   */
  strictClientAssertionAudience?: boolean;
  /**
   * The hardened outbound fetcher for everything a client names (its metadata document, jwks_uri).
   * Default: @gatehouse/safe-fetch with production settings. `fetchJwks`, when not given, uses it.
   */
  outboundFetch?: SafeFetch;
  /** Client ID Metadata Documents (https client_ids). On by default. */
  cimd?: CimdOptions;
  /** Dynamic Client Registration (RFC 7591) and its management (RFC 7592). See docs/dcr.md. */
  registration?: RegistrationOptions;
  /** Pushed Authorization Requests, RFC 9126 (docs/decisions/0010-par.md). */
  par?: ParOptions;
  /** /metrics, /healthz, /readyz (docs/operations.md, docs/decisions/0014-metrics-and-health.md). */
  operations?: OperationsOptions;
  /**
   * Defaults for one kind of deployment, applied before anything else reads the options; explicit
   * options always win. `mcp`: what real MCP clients need (packages/server/src/profiles/mcp-profile.ts,
   * docs/mcp.md). `atproto`: the AT Protocol OAuth profile. Default `default`.
   */
  profile?: 'default' | 'atproto' | 'mcp';
  /** DPoP, RFC 9449: nonces, algorithms, whether every client must use it (docs/dpop.md). */
  dpop?: DpopOptions;
  /** The AT Protocol profile's own switches (used with `profile: 'atproto'`; docs/atproto.md). */
  atproto?: AtprotoOptions;
  /**
   * Supplies the `sub` of a user: of access tokens, introspection answers and (atproto profile) the
   * token response. Default: the user's id. An AT Protocol service maps accounts to DIDs here
   * (users/subject.ts, docs/atproto.md).
   */
  subject?: SubjectSupplier;
  /**
   * CORS (`Access-Control-Allow-Origin: *`, no credentials, OPTIONS preflight) on PAR, token and
   * revocation, for browser-based clients (http/cors.ts; AT-13). Metadata and JWKS always have it.
   * Default false; the atproto profile turns it on.
   */
  cors?: boolean;
  /**
   * AT-9: every this many seconds, re-read the documents and keys of clients with key-bound
   * sessions and revoke the sessions whose key is no longer published
   * (clients/client-key-recheck.ts). 0 or unset: only at each refresh. atproto profile: 900.
   */
  clientKeyRecheckSeconds?: number;
  /**
   * `private_key_jwt` assertion algorithms accepted (and advertised). Default: every asymmetric
   * algorithm of clients/private-key-jwt.ts. atproto profile: ES256 (AT-9).
   */
  clientAssertionAlgorithms?: readonly string[];
  // Extension points (issue #12; each documented with an example in docs/extension-points.md).
  /** Wrap the client resolver chain, first listed outermost (e.g. an admission policy). */
  clientResolverDecorators?: readonly ClientResolverDecorator[];
  /** Authenticates the user at the login page. Default: local accounts with passwords. */
  authenticateUser?: UserAuthenticator;
  /** Receives every audit event after its log line. Default: the store's audit log. */
  auditSink?: AuditSink;
  /** Renders the consent page. Default: the built-in page (pages/consent-page.ts). */
  renderConsent?: ConsentRenderer;
}

/** Switches of the AT Protocol profile (profiles/atproto-profile.ts, docs/atproto.md). */
export interface AtprotoOptions {
  /**
   * AT-5: accept the loopback development client (`http://localhost` client_ids with a virtual
   * document). Default true in the profile; can also be turned on outside it.
   */
  loopbackClient?: boolean;
  /**
   * DEVELOPMENT ONLY. AT-2 forbids a port in an https client_id; this accepts one (documents on a
   * test host with an ephemeral port). Default false.
   */
  allowClientIdPort?: boolean;
}

export type { DpopOptions } from './dpop/dpop-settings.ts';
export type { SubjectSupplier } from './users/subject.ts';

/** What an operator's tooling reads: Prometheus metrics, liveness, readiness (docs/operations.md). */
export interface OperationsOptions {
  /**
   * Serve `GET /metrics` at the root of `fetch` (the main listener) to requests carrying
   * `Authorization: Bearer <metricsToken>` (at least 16 characters). Unset: `fetch` does not serve
   * /metrics at all; mount `server.operations.fetch` on a private listener instead. When set,
   * `server.operations` asks for the token too.
   */
  metricsToken?: string;
  /**
   * prom-client's default process metrics (CPU, memory, event loop lag, GC), prefixed `gatehouse_`.
   * Default false: they describe the process, so turn them on for one server per process.
   */
  processMetrics?: boolean;
  /** How long `/readyz` waits for the store before answering 503. Default 2000 ms. */
  readinessTimeoutMs?: number;
}

export interface ParOptions {
  /**
   * Refuse authorization requests that did not come through `POST {issuer}/par` for every client
   * (RFC 9126 §5 `require_pushed_authorization_requests`). Default false; a client can still demand
   * it for itself with the §6 client metadata of the same name.
   */
  required?: boolean;
}

/** A rate limit: a burst of `limit`, refilled evenly over `windowSeconds` (rate-limit/rate-limiter.ts). */
export interface RateLimitOptions {
  limit: number;
  windowSeconds: number;
}

export interface RegistrationOptions {
  /** Serve `POST {issuer}/register` and advertise it as `registration_endpoint`. Default true. */
  enabled?: boolean;
  /**
   * Who may register (DCR-EP-3): anyone (`open`, the default), holders of an initial access token
   * issued by the operator, or clients presenting a software statement from a configured issuer.
   */
  policy?: 'open' | 'initial_access_token' | 'software_statement';
  /** Trusted software statement issuers (DCR-MD-11) and their public keys (asymmetric only). */
  softwareStatementIssuers?: readonly SoftwareStatementIssuer[];
  /** Lifetime of generated client secrets; 0 means they never expire. Default 0. */
  secretLifetimeSeconds?: number;
  /**
   * Recognise a public client registering again with the same software_id and metadata, and answer
   * with its existing client_id instead of a new record (docs/dcr.md). Default true.
   */
  recogniseReRegistration?: boolean;
  /** When the RFC 7592 registration access token is replaced (DCR-MG-4, DCR-MG-8). Default `on_update`. */
  rotateRegistrationAccessToken?: 'never' | 'on_read' | 'on_update';
  /**
   * Whether the `scope` a client registers openly (no initial access token, no software statement)
   * limits what it may request later (RFC 7591 §2). Default true. The MCP profile sets false: MCP
   * SDKs register the scope of their first request, and step-up (MCP-16) must still reach the
   * resource's other scopes, each consented to by the user (docs/mcp.md).
   */
  selfRegisteredScopeIsLimit?: boolean;
  rateLimits?: RegistrationRateLimits;
}

export interface SoftwareStatementIssuer {
  /** The statement's `iss`, compared exactly. */
  iss: string;
  jwks: { keys: readonly Record<string, unknown>[] };
}

/** Registration and management rate limits (DCR-EP-3 MAY, DCR-MG-8 SHOULD); defaults in docs/dcr.md. */
export interface RegistrationRateLimits {
  /** Registrations per remote address. Default 20 per 600 s. */
  perIp?: RateLimitOptions;
  /** Registrations per software_id. Default 300 per 3600 s. */
  perSoftware?: RateLimitOptions;
  /** Registrations per https redirect host. Default 60 per 600 s. */
  perRedirectHost?: RateLimitOptions;
  /** Failed RFC 7592 management attempts, per client_id and per remote address. Default 10 per 600 s. */
  managementFailures?: RateLimitOptions;
}

export interface CimdOptions {
  enabled?: boolean;
  /** The document's HTTP freshness is clamped to [min, max] (CIMD-CACHE-2). Defaults 300 s and 24 h. */
  minTtlSeconds?: number;
  maxTtlSeconds?: number;
  /**
   * A redirect_uri missing from the cached document forces one re-fetch, at most this often per
   * client (counted from the last fetch). Default 30 s.
   */
  refreshCooldownSeconds?: number;
  /** Outbound document fetches allowed per second, to one host and in all (the governor). Defaults 5 and 50. */
  fetchesPerSecondPerHost?: number;
  fetchesPerSecond?: number;
  /** What a security-relevant document change does to existing grants. Default `reconsent`. */
  onChange?: DocumentChangePolicy;
  /** CIMD-URL-6: accept client ID URLs with a query. Default false. */
  allowQuery?: boolean;
  /** CIMD-DOC-10: a document without token_endpoint_auth_method is `none`, or refused. Default `none`. */
  missingAuthMethod?: 'none' | 'reject';
}
