import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { Logger } from 'pino';
import type { AuditSink } from './audit/audit-trail.ts';
import type { ClientResolverDecorator } from './clients/client-resolver.ts';
import type { ServerConfigInput } from './config/server-config-schema.ts';
import type { LexiconResolver, TxtLookup } from './lexicon/lexicon-resolver.ts';
import type { ConsentRenderer } from './pages/consent-page.ts';
import type { Store } from './store/store.ts';
import type { SubjectSupplier } from './users/subject.ts';
import type { UserAuthenticator } from './users/user-authentication.ts';

/**
 * The options of createAuthorizationServer: the settings of the configuration schema
 * (config/server-config-schema.ts, every default there) and the dependencies that are not
 * configuration, because they are code or state: they are injected, never parsed (decision 0024).
 */
export type AuthorizationServerOptions = ServerConfigInput & ServerDependencies;

export interface ServerDependencies {
  store: Store;
  /** Default: no logging. */
  logger?: Logger;
  /**
   * Epoch milliseconds; injectable so tests control time. Default: the store's clock when it has one
   * (PostgreSQL: the database server's, decision 0036), else Date.now.
   */
  clock?: () => number;
  /**
   * The hardened outbound fetcher for everything a client names (its metadata document, jwks_uri).
   * Default: @gatehouse-oauth/safe-fetch with production settings. `fetchJwks`, when not given, uses it.
   */
  outboundFetch?: SafeFetch;
  /**
   * Fetches a client's `jwks_uri` (private_key_jwt, RFC 7523 §2.2) and returns the parsed JSON. Give
   * it the hardened fetcher (@gatehouse-oauth/safe-fetch, CIMD-FETCH-6): the URI is chosen by the client.
   * Default: `outboundFetch`, limited to 64 KiB.
   */
  fetchJwks?: (uri: string) => Promise<unknown>;
  /**
   * Supplies the `sub` of a user: of access tokens, introspection answers and (atproto profile) the
   * token response. Default: the user's id. An AT Protocol service maps accounts to DIDs here
   * (users/subject.ts, docs/atproto.md).
   */
  subject?: SubjectSupplier;
  // Extension points (issue #12; each documented with an example in docs/extension-points.md).
  /** Wrap the client resolver chain, first listed outermost (e.g. an admission policy). */
  clientResolverDecorators?: readonly ClientResolverDecorator[];
  /** Authenticates the user at the login page. Default: local accounts with passwords. */
  authenticateUser?: UserAuthenticator;
  /** Receives every audit event after its log line. Default: the store's audit log. */
  auditSink?: AuditSink;
  /** Renders the consent page. Default: the built-in page (pages/consent-page.ts). */
  renderConsent?: ConsentRenderer;
  /**
   * AT-16 (atproto profile): the Lexicon document an NSID names, for `include:` permission sets.
   * Default: the NSID authority's `_lexicon` DNS record, its DID's PDS, through `outboundFetch`
   * (lexicon/lexicon-resolver.ts). Its answers are checked and cached by the server.
   */
  resolveLexicon?: LexiconResolver;
  /** The DNS TXT lookup of the default Lexicon resolver. Default: the system resolver. */
  resolveTxt?: TxtLookup;
}

export type { AdminOptions } from './config/admin-schema.ts';
export type { AtprotoOptions } from './config/atproto-schema.ts';
export type { CimdOptions } from './config/cimd-schema.ts';
export type { DpopOptions } from './config/dpop-schema.ts';
export { defaultLifetimes, type Lifetimes } from './config/lifetimes-schema.ts';
export type { OperationsOptions } from './config/operations-schema.ts';
export type { ParOptions } from './config/par-schema.ts';
export type {
  RateLimitOptions,
  RegistrationOptions,
  RegistrationRateLimits,
  SoftwareStatementIssuer,
} from './config/registration-schema.ts';
export type { ResourceOptions } from './config/resource-schema.ts';
export type { SubjectSupplier } from './users/subject.ts';
