import {
  findRegisteredRedirectUri,
  OAuthError,
  type Parameters,
  parseScope,
  validateCodeChallenge,
} from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { type ClientTier, requireTierResources, tierPolicyOf } from '../governance/tier-policy.ts';
import type { ClientRecord } from '../store/store.ts';
import { requestedResources as resolveRequestedResources, resolveScope } from './scope-policy.ts';

/**
 * Validation of an authorization request, RFC 6749 §4.1.1 with OAuth 2.1 and RFC 9700. The order
 * matters: until the client and its redirect_uri are verified, no error may be redirected (RFC 6749
 * §4.1.2.1: "MUST NOT automatically redirect the user-agent to the invalid redirection URI").
 */
export interface VerifiedRedirect {
  client: ClientRecord;
  redirectUri: string;
  redirectUriSent: boolean;
  state: string | undefined;
  /** The client's trust tier on this request and what it allows (governance/tier-policy.ts). */
  tier: ClientTier;
}

export interface ValidAuthorizationRequest extends VerifiedRedirect {
  scope: string[];
  resources: string[];
  codeChallenge: string;
  prompt: Set<string>;
  maxAge: number | undefined;
  loginHint: string | undefined;
  /** RFC 9449 §10 `dpop_jkt`: the code is redeemed only with a DPoP proof of this key. */
  dpopJkt?: string;
}

/**
 * Steps 1-2: the client and the redirect_uri. Errors here end on the server's own error page.
 * `authenticated` is the client the PAR endpoint already authenticated (RFC 9126 §2): it is used
 * as is rather than resolved a second time, so the request is checked against the same record.
 */
export async function verifyClientAndRedirect(
  ctx: Pick<ServerContext, 'clients' | 'governance' | 'resources'>,
  parameters: Parameters,
  authenticated?: ClientRecord,
): Promise<VerifiedRedirect> {
  const clientId = parameters.get('client_id');
  if (clientId === undefined) {
    throw new OAuthError('invalid_request', {
      reason: 'client_id_missing',
      description: 'client_id is required',
    });
  }
  let client = authenticated?.clientId === clientId ? authenticated : await ctx.clients.resolve(clientId);
  if (client === undefined) {
    throw new OAuthError('invalid_client', {
      status: 400,
      reason: 'client_unknown',
      description: 'unknown client_id',
    });
  }
  const requested = parameters.get('redirect_uri');
  if (
    requested !== undefined &&
    client.kind === 'cimd' &&
    !matches(client, requested) &&
    ctx.clients.refresh
  ) {
    // A client that just added a redirect URI to its document must not wait out our cache: re-fetch
    // once (the cache's cooldown keeps this from becoming a way to hammer the client's host).
    client = (await ctx.clients.refresh(clientId)) ?? client;
  }
  const registered = client.metadata.redirect_uris;
  // Issue #13: the tier of the client as it is now (a re-fetched document included).
  const tier = await tierPolicyOf(ctx, client);
  if (requested === undefined) {
    // OAuth 2.1 §4.1.1: redirect_uri may be omitted only when exactly one is registered.
    if (registered.length !== 1) {
      throw new OAuthError('invalid_request', {
        reason: 'redirect_uri_missing',
        description: 'redirect_uri is required for this client',
      });
    }
    return {
      client,
      redirectUri: registered[0]!,
      redirectUriSent: false,
      state: parameters.get('state'),
      tier,
    };
  }
  // CIMD-REDIR-1, MCP-13: exact string match; CIMD-REDIR-2: any port for http loopback.
  if (findRegisteredRedirectUri(registered, requested) === undefined) {
    throw new OAuthError('invalid_request', {
      reason: 'redirect_uri_mismatch',
      description: 'redirect_uri is not registered for this client',
    });
  }
  return { client, redirectUri: requested, redirectUriSent: true, state: parameters.get('state'), tier };
}

/**
 * RFC 9126 §5/§6: with PAR required (server-wide, or by the client's own metadata) an authorization
 * request must carry a request_uri. Checked after the redirect_uri is verified, so the refusal goes
 * back to the client like any other invalid request (docs/decisions/0010-par.md).
 */
export function requirePushedRequest(ctx: Pick<ServerContext, 'par'>, verified: VerifiedRedirect): void {
  if (ctx.par.required || verified.client.metadata.require_pushed_authorization_requests === true) {
    throw new OAuthError('invalid_request', {
      reason: 'par_required',
      description:
        'authorization requests must be pushed first (RFC 9126 pushed_authorization_request_endpoint)',
      redirectable: true,
    });
  }
}

function matches(client: ClientRecord, redirectUri: string): boolean {
  return findRegisteredRedirectUri(client.metadata.redirect_uris, redirectUri) !== undefined;
}

const SUPPORTED_PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/** Steps 3+: everything else. Errors from here on travel to the verified redirect_uri. */
export function validateAuthorizationRequest(
  ctx: Pick<ServerContext, 'profile' | 'resources'>,
  verified: VerifiedRedirect,
  parameters: Parameters,
  requestedResources: readonly string[],
): ValidAuthorizationRequest {
  const redirectable = true;
  const { client } = verified;
  const responseType = parameters.get('response_type');
  if (responseType === undefined) {
    throw new OAuthError('invalid_request', {
      reason: 'response_type_missing',
      description: 'response_type is required',
      redirectable,
    });
  }
  if (responseType !== 'code') {
    // OAuth 2.1 removed the implicit grant; `code` is the only response type.
    throw new OAuthError('unsupported_response_type', {
      reason: 'response_type_unsupported',
      description: 'only response_type=code is supported',
      redirectable,
    });
  }
  if (
    !client.metadata.response_types.includes('code') ||
    !client.metadata.grant_types.includes('authorization_code')
  ) {
    throw new OAuthError('unauthorized_client', {
      reason: 'grant_not_registered',
      description: 'this client is not registered for the authorization code grant',
      redirectable,
    });
  }
  const responseMode = parameters.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') {
    throw new OAuthError('invalid_request', {
      reason: 'response_mode_unsupported',
      description: 'only response_mode=query is supported',
      redirectable,
    });
  }
  // RFC 9101 request objects are not supported; a PAR request_uri never reaches this point (the
  // authorization endpoint resolves it first, and RFC 9126 §2.1 forbids one inside a pushed request).
  if (parameters.has('request') || parameters.has('request_uri')) {
    throw new OAuthError('invalid_request', {
      reason: 'request_object_unsupported',
      description: 'request objects and request_uri are not supported here',
      redirectable,
    });
  }
  // OAuth 2.1 §4.1.1, RFC 9700 §2.1.1: PKCE for every client, S256 only.
  const codeChallenge = validateCodeChallenge(
    parameters.get('code_challenge'),
    parameters.get('code_challenge_method'),
  );

  // The profile's request rules (atproto: state and the atproto scope, AT-7, AT-1).
  ctx.profile.checkAuthorizationRequest?.(parameters, redirectable);

  // RFC 8707 §2.1, MCP-9: every resource must be one we serve.
  const resources = resolveRequestedResources(ctx.resources, requestedResources, redirectable);
  // Issue #13: the tier's resources (invalid_target) and its scope ceiling (invalid_scope).
  requireTierResources(verified.tier, resources, redirectable);
  const scope = resolveScope(
    ctx.resources,
    verified.tier,
    parseScope(parameters.get('scope'), redirectable),
    resources,
    redirectable,
    ctx.profile.scopeRules,
  );

  const prompt = new Set(parseScope(parameters.get('prompt'), redirectable));
  for (const value of prompt) {
    if (!SUPPORTED_PROMPTS.has(value)) {
      throw new OAuthError('invalid_request', {
        reason: 'prompt_unsupported',
        description: `prompt ${value} is not supported`,
        redirectable,
      });
    }
  }
  if (prompt.has('none') && prompt.size > 1) {
    throw new OAuthError('invalid_request', {
      reason: 'prompt_none_combined',
      description: 'prompt=none cannot be combined',
      redirectable,
    });
  }
  const maxAgeText = parameters.get('max_age');
  let maxAge: number | undefined;
  if (maxAgeText !== undefined) {
    if (!/^\d{1,9}$/.test(maxAgeText)) {
      throw new OAuthError('invalid_request', {
        reason: 'max_age_malformed',
        description: 'max_age must be a number of seconds',
        redirectable,
      });
    }
    maxAge = Number(maxAgeText);
  }
  const dpopJkt = parameters.get('dpop_jkt');
  // RFC 9449 §10: a JWK SHA-256 thumbprint (RFC 7638), base64url: 43 characters.
  if (dpopJkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(dpopJkt)) {
    throw new OAuthError('invalid_request', {
      reason: 'dpop_jkt_malformed',
      description: 'dpop_jkt must be a base64url SHA-256 JWK thumbprint',
      redirectable,
    });
  }
  return {
    ...verified,
    scope,
    resources,
    codeChallenge,
    prompt,
    maxAge,
    loginHint: parameters.get('login_hint'),
    ...(dpopJkt === undefined ? {} : { dpopJkt }),
  };
}
