import {
  type AtprotoClientPolicy,
  type ClientMetadataDocumentPolicy,
  checkAtprotoClientDocument,
  checkAtprotoClientId,
  isClientIdMetadataDocumentUrl,
  OAuthError,
  type Parameters,
  validateClientMetadataDocument,
} from '@gatehouse/core';
import type { ClientResolver } from '../clients/client-resolver.ts';
import type { ServerContext } from '../context.ts';
import type { AuthorizationServerOptions, Lifetimes, ResourceOptions } from '../options.ts';

/**
 * The AT Protocol OAuth profile (`profile: 'atproto'`; atproto OAuth spec, SPEC-CHECKLIST Part 4,
 * AT-1…AT-13; docs/atproto.md; decision 0016). One file maps the profile to settings, like
 * mcp-profile.ts does for MCP. Unlike the MCP profile, most of these are MUSTs of the profile: an
 * explicit option that contradicts one (PAR not required, DPoP off, a plain-http issuer…) stops the
 * start with an error naming the requirement, instead of quietly serving something atproto clients
 * will refuse. Where the spec leaves room (lifetimes below the limits, the re-check interval), the
 * operator's value wins.
 */
export const ATPROTO_SCOPE = 'atproto';

const DAY = 24 * 3600;

export const atprotoProfileDefaults = {
  /** AT-10: access tokens SHOULD last < 30 min (≤ 15 if not revocable; ours are, at introspection). */
  maxAccessTokenSeconds: 30 * 60 - 1,
  /**
   * AT-10: sessions and refresh tokens of untrusted public clients ≤ 2 weeks. Gatehouse has one
   * lifetime for every client, so the public limit applies to all (confidential clients may have up
   * to 180 days; that split is not implemented, see docs/atproto.md).
   */
  maxRefreshTokenSeconds: 14 * DAY,
  maxTokenFamilySeconds: 14 * DAY,
  lifetimes: {
    accessTokenSeconds: 300,
    refreshTokenSeconds: 14 * DAY,
    tokenFamilySeconds: 14 * DAY,
  } satisfies Partial<Lifetimes>,
  /** AT-9, AT-11: ES256 is the algorithm every atproto client uses, and the one the profile takes. */
  algorithms: ['ES256'] as readonly string[],
  /** AT-9: how often confidential clients' documents and keys are re-read (seconds). */
  clientKeyRecheckSeconds: 900,
} as const;

/**
 * Options with the atproto profile applied. Pure; the caller's object is not changed. Throws an
 * Error naming the requirement when an explicit option contradicts the profile.
 */
export function withAtprotoProfile(options: AuthorizationServerOptions): AuthorizationServerOptions {
  const refuse = (message: string): never => {
    throw new Error(`profile atproto: ${message}`);
  };

  // AT-12: the issuer is an https origin: no path, no default port, nothing after the host.
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    return refuse(`issuer ${options.issuer} is not a URL`);
  }
  if (issuer.protocol !== 'https:' || options.issuer !== issuer.origin) {
    refuse(
      `the issuer must be a plain https origin such as https://auth.example.com (AT-12), not ${options.issuer}`,
    );
  }

  // AT-6: PAR for every client.
  if (options.par?.required === false) refuse('par.required cannot be false: PAR is required (AT-6)');
  // AT-11: DPoP for every client, with server nonces, ES256 among the algorithms.
  const dpop = options.dpop ?? {};
  if (dpop.required === false) refuse('dpop.required cannot be false: DPoP is required (AT-11)');
  if (dpop.nonce === 'off') refuse('dpop.nonce cannot be off: server nonces are mandatory (AT-11)');
  const dpopAlgorithms = dpop.algorithms ?? atprotoProfileDefaults.algorithms;
  if (!dpopAlgorithms.includes('ES256')) refuse('dpop.algorithms must include ES256 (AT-11)');
  // AT-9: private_key_jwt with ES256.
  const assertionAlgorithms = options.clientAssertionAlgorithms ?? atprotoProfileDefaults.algorithms;
  if (!assertionAlgorithms.includes('ES256')) refuse('clientAssertionAlgorithms must include ES256 (AT-9)');
  // AT-2, AT-12: clients are Client ID Metadata Documents (client_id_metadata_document_supported).
  const cimd = options.cimd ?? {};
  if (cimd.enabled === false)
    refuse('cimd.enabled cannot be false: clients are metadata documents (AT-2, AT-12)');
  if (cimd.allowQuery === true) refuse('cimd.allowQuery cannot be true (AT-2)');
  if (cimd.missingAuthMethod === 'none') {
    refuse('cimd.missingAuthMethod cannot be none: documents state token_endpoint_auth_method (AT-4)');
  }
  // AT-13: CORS on metadata, PAR and token.
  if (options.cors === false) refuse('cors cannot be false: browser clients call PAR and token (AT-13)');

  // AT-10: lifetimes within the profile's limits.
  const lifetimes = { ...atprotoProfileDefaults.lifetimes, ...options.lifetimes };
  if (lifetimes.accessTokenSeconds > atprotoProfileDefaults.maxAccessTokenSeconds) {
    refuse('lifetimes.accessTokenSeconds must be under 30 minutes (AT-10)');
  }
  if (lifetimes.refreshTokenSeconds > atprotoProfileDefaults.maxRefreshTokenSeconds) {
    refuse('lifetimes.refreshTokenSeconds must be at most 2 weeks (AT-10)');
  }
  if (lifetimes.tokenFamilySeconds > atprotoProfileDefaults.maxTokenFamilySeconds) {
    refuse('lifetimes.tokenFamilySeconds must be at most 2 weeks (AT-10)');
  }

  // AT-1, AT-12: the atproto scope is offered by every resource (so it is in scopes_supported), and
  // atproto clients never send `resource`, so there must be a default one: the PDS.
  const resources = (options.resources ?? []).map(atprotoResource);
  if (resources.length === 0) {
    refuse(
      'configure the protected resource (the PDS) under resources; atproto tokens are issued for it (AT-1)',
    );
  }
  const defaultResource = options.defaultResource ?? (resources.length === 1 ? resources[0]!.uri : undefined);
  if (defaultResource === undefined) {
    refuse('set defaultResource: atproto clients do not name a resource in their requests');
  }

  return {
    ...options,
    resources,
    ...(defaultResource === undefined ? {} : { defaultResource }),
    lifetimes,
    par: { ...options.par, required: true },
    dpop: { ...dpop, required: true, nonce: 'required', algorithms: dpopAlgorithms },
    clientAssertionAlgorithms: assertionAlgorithms,
    cimd: { ...cimd, enabled: true, allowQuery: false, missingAuthMethod: 'reject' },
    // AT-2: clients come by metadata document. DCR stays available only when asked for explicitly
    // (its client_ids never look like URLs, so AT-2's second sentence holds either way).
    registration: { ...options.registration, enabled: options.registration?.enabled ?? false },
    cors: true,
    clientKeyRecheckSeconds:
      options.clientKeyRecheckSeconds ?? atprotoProfileDefaults.clientKeyRecheckSeconds,
    atproto: { loopbackClient: true, ...options.atproto },
  };
}

function atprotoResource(resource: ResourceOptions): ResourceOptions {
  return resource.scopes.includes(ATPROTO_SCOPE)
    ? resource
    : { ...resource, scopes: [ATPROTO_SCOPE, ...resource.scopes] };
}

/** The policy the atproto client rules run with (core/atproto/atproto-client-metadata.ts). */
export function atprotoClientPolicy(options: AuthorizationServerOptions): AtprotoClientPolicy {
  return {
    allowClientIdPort: options.atproto?.allowClientIdPort === true,
    ...(options.clientAssertionAlgorithms === undefined
      ? {}
      : { clientAssertionAlgorithms: options.clientAssertionAlgorithms }),
  };
}

/**
 * The CIMD validation of the profile: the generic document rules, then AT-4/AT-8 on the raw
 * document. Used as the document cache's `validate`, so a document that breaks them is never cached.
 */
export function atprotoDocumentValidator(
  documentPolicy: ClientMetadataDocumentPolicy,
  policy: AtprotoClientPolicy,
) {
  return (body: unknown, url: string) => {
    const { metadata } = validateClientMetadataDocument(body, url, documentPolicy);
    checkAtprotoClientDocument(body as Record<string, unknown>, metadata, policy);
    return metadata;
  };
}

/**
 * AT-2 before any fetch: an https client_id with a port is refused without fetching its document.
 * Other client_ids pass to `inner` unchanged.
 */
export function atprotoClientIdGuard(inner: ClientResolver, policy: AtprotoClientPolicy): ClientResolver {
  const guard = (clientId: string) => {
    if (!isClientIdMetadataDocumentUrl(clientId)) return;
    try {
      checkAtprotoClientId(clientId, policy);
    } catch (error) {
      // With the status of the endpoint's invalid_client, like every CIMD refusal (401 at PAR and
      // token, RFC 6749 §5.2; the authorization endpoint shows its error page either way).
      if (!(error instanceof OAuthError)) throw error;
      throw new OAuthError('invalid_client', {
        reason: error.reason,
        ...(error.description === undefined ? {} : { description: error.description }),
      });
    }
  };
  return {
    resolve: async (clientId) => {
      guard(clientId);
      return inner.resolve(clientId);
    },
    ...(inner.refresh === undefined
      ? {}
      : {
          refresh: async (clientId: string) => {
            guard(clientId);
            return inner.refresh!(clientId);
          },
        }),
  };
}

/**
 * AT-7 and AT-1 on an authorization request (pushed or not), after the generic validation:
 * `state` is required, and the requested scope names `atproto`. Sync; errors may be redirected
 * (the redirect_uri is verified by then).
 */
export function checkAtprotoAuthorizationRequest(parameters: Parameters, redirectable: boolean): void {
  const state = parameters.get('state');
  if (state === undefined || state === '') {
    throw new OAuthError('invalid_request', {
      reason: 'atproto_state_missing',
      description: 'state is required (AT-7)',
      redirectable,
    });
  }
  const scope = parameters.get('scope')?.split(' ') ?? [];
  if (!scope.includes(ATPROTO_SCOPE)) {
    throw new OAuthError('invalid_scope', {
      reason: 'atproto_scope_missing',
      description: 'the scope must include atproto (AT-1, AT-7)',
      redirectable,
    });
  }
}

/**
 * What the profile adds at PAR, after the generic validation: a DPoP proof is required from the
 * first request on (AT-11: "starting from PAR"; the generic `dpop.required` applies at the token
 * endpoint), and the code_challenge is used once (AT-7).
 */
export async function acceptAtprotoPushedRequest(
  ctx: ServerContext,
  valid: { codeChallenge: string },
  dpop: unknown,
): Promise<void> {
  if (dpop === undefined) {
    throw new OAuthError('invalid_dpop_proof', {
      reason: 'dpop_required',
      description: 'a DPoP proof is required from the pushed authorization request on (AT-11)',
    });
  }
  await rememberCodeChallenge(ctx, valid.codeChallenge);
}

/** How long a used code_challenge is remembered (AT-7: "for example within 24 h"). */
export const CODE_CHALLENGE_MEMORY_SECONDS = 24 * 3600;

/**
 * AT-7 MUST: a code_challenge is accepted once. Remembered in the replay store (atomic across
 * instances) when a request is pushed; a second request with the same challenge is refused.
 */
export async function rememberCodeChallenge(ctx: ServerContext, codeChallenge: string): Promise<void> {
  const now = ctx.clock();
  const fresh = await ctx.store.replay.remember(
    `code-challenge:${codeChallenge}`,
    now + CODE_CHALLENGE_MEMORY_SECONDS * 1000,
    now,
  );
  if (!fresh) {
    throw new OAuthError('invalid_request', {
      reason: 'code_challenge_reused',
      description: 'this code_challenge was already used; make a new PKCE verifier for every request (AT-7)',
    });
  }
}
