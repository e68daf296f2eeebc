import type { AuthorizationServerOptions, ResourceOptions } from '../options.ts';
import type { Profile } from './profile.ts';

/**
 * The MCP profile (`profile: 'mcp'`): the defaults real MCP clients (Claude Code, claude.ai, VS Code,
 * ChatGPT, mcp-remote, the MCP TypeScript SDKs v1 and v2) need, in one place. docs/mcp.md explains
 * each one with its requirement ID; decision 0017 says why. The profile only fills in what the
 * operator left unset: an explicit option always wins.
 *
 * What the profile does not need to change, because Gatehouse already behaves so for everyone, is
 * listed in `mcpProfileDefaults.alwaysOn` so the documentation and the tests have one source.
 */

/** OpenID Connect Core §11 / MCP-17: the scope clients add to ask for a refresh token. */
export const OFFLINE_ACCESS = 'offline_access';

export const mcpProfileDefaults = {
  /**
   * MCP-17: clients may request `offline_access` when the AS lists it in `scopes_supported`, and
   * some do. It is accepted for every resource and advertised; it is never a default scope.
   */
  offlineAccessScope: OFFLINE_ACCESS,
  /**
   * MCP-17 ("whether to issue refresh tokens is the AS's choice"): refresh tokens go to every client
   * registered for the `refresh_token` grant, whether or not it asked for `offline_access`. Most
   * MCP clients never ask, and a 5 minute session would make them sign in again all day.
   */
  refreshTokensWithoutOfflineAccess: true,
  /**
   * MCP clients often send no `scope` (nothing in the 401 challenge, no `scopes_supported` in the
   * protected-resource metadata). A resource without configured `defaultScopes` then grants all of
   * its scopes (shown on the consent page), so the token works at the MCP server. Configure
   * `defaultScopes` to keep some scopes for step-up (MCP-16).
   */
  defaultScopesWhenUnset: 'all scopes of the resource' as const,
  /**
   * MCP-9: clients of the 2025-03-26 revision and older do not send `resource`. With exactly one
   * resource configured and no `defaultResource`, that resource is the default audience.
   */
  singleResourceIsDefault: true,
  /** MCP-5, MCP-6: Client ID Metadata Documents on. */
  cimd: true,
  /** MCP-7: DCR stays on for clients without CIMD (deprecated in MCP 2026-07-28, not removed). */
  registration: true,
  /**
   * MCP-16 with MCP-7: the MCP SDKs register (DCR) with the scope of their first request (SEP-835),
   * so treating it as the client's ceiling would make every later step-up fail with invalid_scope.
   * Under the profile, an open registration's `scope` is not a limit; one vouched for by an initial
   * access token or a software statement still is. The user consents to every scope either way.
   */
  selfRegisteredScopeIsLimit: false,
  /** CIMD-DOC-10: a document without `token_endpoint_auth_method` is a public client (Claude-style). */
  missingAuthMethod: 'none' as const,
  /** Already Gatehouse's behaviour for every profile; documented here so nothing is implicit. */
  alwaysOn: [
    'CIMD-REDIR-2 / checklist item 1: http loopback redirect URIs (127.0.0.1, [::1], localhost) match with any port',
    'CIMD-DOC-11: unsupported grant_types in a document (VS Code device_code, claude.ai jwt-bearer) are dropped, not fatal',
    'RP Metadata Choices: token_endpoint_auth_methods_supported in a document is negotiated (ChatGPT private_key_jwt)',
    'MCP-14: iss on every authorization response',
    'MCP-16: re-authorization with more scopes widens the grant of the installation',
    'MCP-11: 300 s access tokens, rotated refresh tokens with a 10 s grace for parallel refreshes',
  ],
} as const;

/**
 * Options with the MCP profile's defaults filled in. Pure; the caller's object is not changed.
 * Applied by createAuthorizationServer when `profile` is `mcp`.
 */
export function withMcpProfile(options: AuthorizationServerOptions): AuthorizationServerOptions {
  const resources = (options.resources ?? []).map(mcpResource);
  const only = resources.length === 1 ? resources[0] : undefined;
  const cimd = options.cimd ?? {};
  return {
    ...options,
    resources,
    ...(options.defaultResource === undefined &&
    only !== undefined &&
    mcpProfileDefaults.singleResourceIsDefault
      ? { defaultResource: only.uri }
      : {}),
    cimd: {
      ...cimd,
      enabled: cimd.enabled ?? mcpProfileDefaults.cimd,
      missingAuthMethod: cimd.missingAuthMethod ?? mcpProfileDefaults.missingAuthMethod,
    },
    registration: {
      ...options.registration,
      enabled: options.registration?.enabled ?? mcpProfileDefaults.registration,
      selfRegisteredScopeIsLimit:
        options.registration?.selfRegisteredScopeIsLimit ?? mcpProfileDefaults.selfRegisteredScopeIsLimit,
    },
  };
}

/**
 * One resource under the MCP profile: `offline_access` is one of its scopes (so every request may
 * carry it, and it is in the AS metadata's `scopes_supported`), and when no default scopes are
 * configured its own scopes are the defaults.
 */
function mcpResource(resource: ResourceOptions): ResourceOptions {
  const own = resource.scopes.filter((scope) => scope !== OFFLINE_ACCESS);
  return {
    ...resource,
    scopes: [...own, OFFLINE_ACCESS],
    defaultScopes: resource.defaultScopes ?? own,
  };
}

/** The MCP profile: defaults only. MCP clients need no change to the generic flow, so no hooks. */
export const mcpProfile: Profile = { name: 'mcp', applyDefaults: withMcpProfile, hooks: () => ({}) };
