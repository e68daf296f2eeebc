import { canonicalResource } from '@gatehouse-oauth/core';
import type { Logger } from 'pino';
import type { Audit } from './audit/audit-trail.ts';
import type { ClientLogoCache } from './cimd/client-logo-cache.ts';
import { createClientJwksCache } from './clients/client-jwks.ts';
import type { ClientLifecycle } from './clients/client-lifecycle.ts';
import type { ClientResolver } from './clients/client-resolver.ts';
import type { ClientAssertionContext } from './clients/private-key-jwt.ts';
import type { ResolvedServerOptions } from './config/resolve-options.ts';
import { createDpopSettings, type DpopSettings } from './dpop/dpop-settings.ts';
import type { ClientGovernance } from './governance/client-governance.ts';
import { createJwtBearerSettings, type JwtBearerSettings } from './grants/jwt-bearer-settings.ts';
import type { KeyRing } from './keys/signing-keys.ts';
import type { Lifetimes, ResourceOptions } from './options.ts';
import type { ConsentRenderer } from './pages/consent-page.ts';
import type { PageTheme } from './pages/layout.ts';
import { loadThemeLogo, type ThemeLogo } from './pages/theme-logo.ts';
import type { ProfileHooks } from './profiles/profile.ts';
import { buildIntrospectionPolicy, type IntrospectionPolicy } from './protocol/introspection-policy.ts';
import type { Store } from './store/store.ts';
import {
  createRefreshTokenDerivation,
  type RefreshTokenDerivation,
} from './tokens/refresh-token-derivation.ts';
import { createLoginThrottle, type LoginThrottle } from './users/login-throttle.ts';
import { createSubjectResolver } from './users/subject.ts';
import type { UserAuthenticator } from './users/user-authentication.ts';
import { createUserStanding, type UserStanding } from './users/user-standing.ts';

/**
 * What the endpoints share: resolved options and the dependencies, built once at start-up, after
 * everything it holds (no member is filled in later). Internal: not exported from the package.
 * Domain modules take a narrow interface of the members they use, which this satisfies.
 */
export interface ServerContext {
  issuer: string;
  /** What this server accepts beyond pre-registered clients; advertised in the metadata. */
  features: ServerFeatures;
  /** The issuer's path ('' for an origin issuer); every endpoint lives below it. */
  basePath: string;
  endpoints: {
    authorization: string;
    token: string;
    revocation: string;
    introspection: string;
    jwks: string;
    /** RFC 7591 registration endpoint; RFC 7592 client configuration URIs are below it. */
    registration: string;
    /** RFC 9126 §2 pushed authorization request endpoint. */
    pushedAuthorizationRequest: string;
  };
  /** RFC 9126 §5: whether every authorization request must be pushed first. */
  par: { required: boolean };
  /** DPoP (RFC 9449): nonce mode and shared nonce secret, algorithms, the global requirement (docs/dpop.md). */
  dpop: DpopSettings;
  store: Store;
  /** Refresh token values from the credential they follow, under a shared secret (decision 0036). */
  refreshTokenDerivation: RefreshTokenDerivation;
  keys: KeyRing;
  /** Resolves client_ids: stored clients, then Client ID Metadata Documents. */
  clients: ClientResolver;
  /** Removal and revocation of clients and sessions: the one lifecycle (clients/client-lifecycle.ts). */
  clientLifecycle: ClientLifecycle;
  /** Admission decisions, trust tiers and their policies (governance/client-governance.ts, issue #13). */
  governance: ClientGovernance;
  /** What private_key_jwt verification needs (RFC 7523 §3). */
  clientAssertions: ClientAssertionContext;
  /** Client logos fetched by the server and served from its own origin (CIMD-CACHE-6). */
  clientLogos: ClientLogoCache;
  clock: () => number;
  lifetimes: Lifetimes;
  resources: ResourceCatalog;
  /** Which clients may introspect which tokens (RFC 7662 §2.1, decision 0029). */
  introspection: IntrospectionPolicy;
  logger: Logger;
  serviceName: string;
  secureCookies: boolean;
  /** The hooks the profile fills in (profiles/profile.ts); generic code never asks which profile runs. */
  profile: ProfileHooks;
  /** Extension point: authenticates the user at the login page (users/user-authentication.ts). */
  authenticateUser: UserAuthenticator;
  /** Failed sign-ins per account name and per source, around `authenticateUser` (users/login-throttle.ts). */
  loginThrottle: LoginThrottle;
  /** Extension point: renders the consent page (pages/consent-page.ts). */
  renderConsent: ConsentRenderer;
  /** CORS on PAR, token and revocation (http/cors.ts, AT-13). */
  cors: boolean;
  /** The `sub` for a user id: the id, or what the configured supplier says (users/subject.ts). */
  subjectOf(userId: string): Promise<string>;
  /** Whether a user's grants and sessions still count (users/user-standing.ts). */
  userStanding(userId: string): Promise<UserStanding>;
  /** Records an audit event: a log line, then the audit sink (audit/audit-trail.ts). */
  audit: Audit;
  /** The issuers the jwt-bearer grant trusts: enterprise IdPs and workload platforms (decision 0043). */
  jwtBearer: JwtBearerSettings;
  /** The pages' look: the service's name, colour and logo (`theme`, pages/layout.ts, issue #15). */
  pageTheme: PageTheme;
  /** The operator's logo file, read at start (pages/theme-logo.ts); served at `<issuer>/theme/logo`. */
  themeLogo: ThemeLogo | undefined;
}

export interface ServerFeatures {
  cimd: boolean;
  /** Dynamic Client Registration (RFC 7591/7592) is served and advertised. */
  registration: boolean;
}

export interface ResourceCatalog {
  /** canonical form → configured spelling (RFC 8707 matching, see core/resource-indicator.ts). */
  known: ReadonlyMap<string, string>;
  byUri: ReadonlyMap<string, ResourceOptions>;
  defaultResource: string | undefined;
  /** Every scope any resource offers (RFC 8414 scopes_supported). */
  allScopes: readonly string[];
  /**
   * Whether the `scope` of an open dynamic registration (no initial access token, no software
   * statement) limits what the client may request later. Unset means true; the MCP profile turns it
   * off (RegistrationOptions.selfRegisteredScopeIsLimit, docs/mcp.md).
   */
  selfRegisteredScopeIsLimit?: boolean;
}

export function buildResourceCatalog(
  resources: readonly ResourceOptions[],
  defaultResource: string | undefined,
): ResourceCatalog {
  const known = new Map<string, string>();
  const byUri = new Map<string, ResourceOptions>();
  for (const resource of resources) {
    const canonical = canonicalResource(resource.uri);
    if (canonical === undefined)
      throw new Error(`resource ${resource.uri} is not an absolute http(s) URI without a fragment`);
    if (known.has(canonical)) throw new Error(`resource ${resource.uri} is configured twice`);
    known.set(canonical, resource.uri);
    byUri.set(resource.uri, resource);
  }
  let fallback: string | undefined;
  if (defaultResource !== undefined) {
    fallback = known.get(canonicalResource(defaultResource) ?? '');
    if (fallback === undefined)
      throw new Error(`default resource ${defaultResource} is not a configured resource`);
  }
  const allScopes = [...new Set(resources.flatMap((resource) => resource.scopes))];
  return { known, byUri, defaultResource: fallback, allScopes };
}

export function checkIssuer(issuer: string): URL {
  // RFC 8414 §2: https, no query, no fragment. http is allowed for loopback development only (MCP-12).
  const url = new URL(issuer);
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    throw new Error('issuer must not have a query or fragment');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('issuer must be https (http is allowed only for localhost development)');
  }
  if (issuer.endsWith('/')) throw new Error('issuer must not end with a slash');
  return url;
}

/** What the context is built from: the resolved options, and the parts built before it. */
export interface ContextParts {
  options: ResolvedServerOptions;
  keys: KeyRing;
  clients: ClientResolver;
  clientLifecycle: ClientLifecycle;
  governance: ClientGovernance;
  features: ServerFeatures;
  clientLogos: ClientLogoCache;
  logger: Logger;
  clock: () => number;
  audit: Audit;
  profile: ProfileHooks;
  authenticateUser: UserAuthenticator;
  renderConsent: ConsentRenderer;
}

export function buildContext(parts: ContextParts): ServerContext {
  const { options, keys, clients, clientLifecycle, features, clientLogos, logger, clock, audit, profile } =
    parts;
  const url = checkIssuer(options.issuer);
  const basePath = url.pathname === '/' ? '' : url.pathname;
  const store = options.store;
  const at = (path: string) => `${options.issuer}${path}`;
  const fetchJwks = options.fetchJwks;
  const clientJwks = createClientJwksCache(fetchJwks === undefined ? {} : { fetchJwks });
  return {
    issuer: options.issuer,
    features,
    basePath,
    endpoints: {
      authorization: at('/authorize'),
      token: at('/token'),
      revocation: at('/revoke'),
      introspection: at('/introspect'),
      jwks: at('/jwks'),
      registration: at('/register'),
      pushedAuthorizationRequest: at('/par'),
    },
    par: { required: options.par.required },
    dpop: createDpopSettings(options.dpop, store.serverSecrets),
    store,
    refreshTokenDerivation: createRefreshTokenDerivation(store.serverSecrets),
    keys,
    clients,
    clientLifecycle,
    governance: parts.governance,
    clientAssertions: {
      issuer: options.issuer,
      endpointAudiences: [at('/token'), at('/par')],
      strictAudience: options.strictClientAssertionAudience,
      replay: store.replay,
      jwks: clientJwks,
      ...(options.clientAssertionAlgorithms === undefined
        ? {}
        : { algorithms: options.clientAssertionAlgorithms }),
    },
    clientLogos,
    clock,
    lifetimes: options.lifetimes,
    resources: {
      ...buildResourceCatalog(options.resources, options.defaultResource),
      selfRegisteredScopeIsLimit: options.registration.selfRegisteredScopeIsLimit,
    },
    introspection: buildIntrospectionPolicy(options.introspection.clients, options.resources),
    logger,
    serviceName: options.serviceName,
    secureCookies: url.protocol === 'https:',
    profile,
    authenticateUser: parts.authenticateUser,
    loginThrottle: createLoginThrottle({ audit, buckets: store.tokenBuckets }, options.login.throttle),
    renderConsent: parts.renderConsent,
    cors: options.cors,
    subjectOf: createSubjectResolver(store.users, options.subject),
    // No injected authenticator: the store's accounts are the only users, so a missing one was removed.
    userStanding: createUserStanding(store.users, { localAccounts: options.authenticateUser === undefined }),
    audit,
    jwtBearer: createJwtBearerSettings(options, fetchJwks, clock),
    ...pageLook(options),
  };
}

function pageLook(options: ResolvedServerOptions): Pick<ServerContext, 'pageTheme' | 'themeLogo'> {
  const themeLogo = loadThemeLogo(options.theme.logoFile);
  return {
    themeLogo,
    pageTheme: {
      serviceName: options.serviceName,
      primaryColor: options.theme.primaryColor,
      ...(themeLogo === undefined ? {} : { logoSrc: `${options.issuer}/theme/logo` }),
    },
  };
}
