import type { ClientMetadata, ClientMetadataDocumentPolicy, Parameters } from '@gatehouse-oauth/core';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { Logger } from 'pino';
import type { ClientResolver } from '../clients/client-resolver.ts';
import type { AuthorizationServerOptions } from '../options.ts';

/**
 * A profile: defaults for one kind of deployment plus the hooks it fills in (decision 0025,
 * docs/extension-points.md). Generic code never asks which profile runs; it calls the hooks, and a
 * hook a profile leaves out means "the generic behaviour". `default`, `mcp` and `atproto` are the
 * profiles there are (profiles/profile-registry.ts).
 */
export interface Profile {
  readonly name: 'default' | 'mcp' | 'atproto';
  /**
   * The options with the profile's defaults filled in; runs once, before anything reads the
   * options. Token and session lifetimes by client kind (`lifetimes.confidential…`) are defaults
   * like any other. Throws an Error naming the requirement when an explicit option contradicts one.
   */
  applyDefaults(options: AuthorizationServerOptions): AuthorizationServerOptions;
  /**
   * The profile's hooks for a server built from `options` (the result of applyDefaults). `deps` are
   * the server's own parts a hook may use: its one observed, hardened fetcher, clock and logger.
   */
  hooks(options: AuthorizationServerOptions, deps: ProfileDeps): ProfileHooks;
}

/** What the server hands a profile's hooks (never its context: hooks see plain values). */
export interface ProfileDeps {
  outboundFetch: SafeFetch;
  clock: () => number;
  logger: Logger;
}

/**
 * How scopes relate beyond plain strings (atproto: the permission scopes of AT-16). Generic: a
 * scope is offered when a resource lists it, and a list covers a scope that it lists exactly.
 */
export interface ScopeRules {
  /** A scope every resource offers without listing it (it still has to be within every ceiling). */
  offered(scope: string): boolean;
  /** Whether `granted` (a ceiling level, or what a grant holds) allows `scope`; listing it always does. */
  covers(granted: readonly string[], scope: string): boolean;
}

/** What a profile may add to the generic flow, each at one named point. All optional. */
export interface ProfileHooks {
  /**
   * Client-id rules: wraps the Client ID Metadata Document resolver, so a client_id can be refused
   * before its document is fetched (AT-2: no port). Must keep the resolver's fast paths.
   */
  clientIdRules?: (inner: ClientResolver) => ClientResolver;
  /**
   * Document validator: replaces the generic CIMD validation (which it should call first), run
   * before a document is cached (AT-4, AT-8). Throws an OAuthError to refuse the document.
   */
  validateDocument?: (
    body: unknown,
    clientIdUrl: string,
    policy: ClientMetadataDocumentPolicy,
  ) => ClientMetadata;
  /**
   * Authorization request rules after the generic validation, at the authorization endpoint and at
   * PAR (AT-1, AT-7). Sync; throws an OAuthError carrying `redirectable`.
   */
  checkAuthorizationRequest?: (parameters: Parameters, redirectable: boolean) => void;
  /** Runs when a pushed request is accepted, before it is stored (AT-7: one-time challenge and state). */
  acceptPushedRequest?: (request: PushedRequestFacts) => Promise<void>;
  /**
   * The account a `login_hint` restricts the login to (AT-14); undefined means the hint only
   * pre-fills the login form.
   */
  accountRestriction?: (loginHint: string | undefined) => AccountRestriction | undefined;
  /**
   * Consent text: what a scope lets the client do, in words; undefined shows the scope by name. May
   * read what it describes (atproto: a permission set, through its cache).
   */
  describeScope?: (scope: string) => string | undefined | Promise<string | undefined>;
  /**
   * Scope rules beyond plain strings (AT-16): which scopes resources offer without listing them and
   * how a ceiling covers a scope. The one hook that accepts scopes the generic policy would not
   * know; every ceiling (the tier's, the client's own `scope`) still applies through `covers`.
   */
  scopeRules?: ScopeRules;
  /**
   * What a granted scope becomes in tokens, at each code exchange and refresh, before anything is
   * rotated (AT-16: permission sets expanded into their permissions, re-read at refresh). Throws an
   * OAuthError to refuse the token request.
   */
  tokenScope?: (scope: readonly string[]) => Promise<string[]>;
  /** Token response fields beyond RFC 6749 §5.1 (AT-10: `sub`). */
  tokenResponseFields?: (facts: { subject: string }) => { sub?: string };
  /** Authorization server metadata fields beyond the generic ones (AT-12). */
  metadataFields?: () => Record<string, unknown>;
}

export interface PushedRequestFacts {
  codeChallenge: string;
  state: string | undefined;
  client: { clientId: string };
  /** The scope the request resolved to (within the client's ceilings). */
  scope: readonly string[];
}

/** A login restricted to one account: which, what to pre-fill, and whether a user is that account. */
export interface AccountRestriction {
  hint: string;
  /** The username the login form starts with (none when the hint is no username, e.g. a DID). */
  prefill: string | undefined;
  /** `subjectOf` is the server's subject supplier (users/subject.ts), for hints that name a subject. */
  matches(
    user: { id: string; username: string },
    subjectOf: (userId: string) => Promise<string>,
  ): Promise<boolean>;
}
