import {
  ASYMMETRIC_JWS_ALGORITHMS,
  createDpopNonces,
  DPOP_DEFAULT_ALGORITHMS,
  type DpopNonces,
  isOAuthError,
  OAuthError,
} from '@gatehouse-oauth/core';
import { createAccessTokenVerifier } from './access-token-verifier.ts';
import type { AuthenticateOptions, AuthenticateResult, AuthInfo, CheckScopesResult } from './auth-info.ts';
import {
  type AuthorizationCredentials,
  parseAuthorization,
  type TokenScheme,
} from './authorization-header.ts';
import { createMetadataDiscovery } from './authorization-server-metadata.ts';
import { Refused, refusalResponse } from './challenge.ts';
import { createDpopBindingCheck } from './dpop-bound-token.ts';
import { insufficientScope } from './insufficient-scope.ts';
import {
  checkResourceIdentifier,
  type ProtectedResourceMetadata,
  protectedResourceMetadataResponse,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.ts';
import { createMemoryReplayGuard } from './replay-memory.ts';
import type { ResourceServerOptions } from './resource-server-options.ts';
import { AuthorizationServerUnavailable, type UpstreamOptions } from './upstream.ts';
import type { VerifiedToken } from './verified-token.ts';

/**
 * A resource server that accepts Gatehouse access tokens (issue #7): an MCP server or any HTTP API.
 *
 * `authenticate(request)` runs, in order: the Authorization header (RFC 6750 §2.1, RFC 9449 §7.1);
 * the token, locally against the JWKS (RFC 9068 §4) or by introspection (RFC 7662); the audience
 * (MCP-10); the DPoP binding (RFC 9449 §7: proof, `ath`, `cnf.jkt`, jti replay, nonce); then the
 * scopes (RFC 6750 §3.1, MCP-16). Refusals are complete `Response`s with the right status and
 * `WWW-Authenticate` challenge, always naming the RFC 9728 metadata (MCP-19); each carries an
 * `OAuthError` with a stable `reason` for logs. Nothing about the cause beyond a fixed sentence
 * reaches the client.
 */

export type { ResourceServerOptions } from './resource-server-options.ts';

export interface ResourceServer {
  readonly issuer: string;
  readonly resource: string;
  authenticate(request: Request, options?: AuthenticateOptions): Promise<AuthenticateResult>;
  /**
   * The scope check of `authenticate`, for a request already authenticated (MCP-16 step-up per
   * operation, e.g. per MCP tool call inside one endpoint): every scope in `scopes` (after
   * `scopeImplies`) must be granted, or the answer is exactly the 403 `insufficient_scope` that
   * `authenticate(request, { scopes })` gives: the challenge in the token's scheme (DPoP with
   * `algs` for a DPoP-bound token), `scope="<scopes>"`, `resource_metadata`. `auth` is the
   * `AuthInfo` this resource server's `authenticate` returned. Synchronous; no I/O.
   */
  checkScopes(auth: AuthInfo, scopes: readonly string[]): CheckScopesResult;
  /** The RFC 9728 document for this resource. */
  metadata(): ProtectedResourceMetadata;
  /** RFC 9728 §3.1 path-inserted: https://host/.well-known/oauth-protected-resource/<resource path>. */
  readonly metadataUrl: string;
  /** The path part of metadataUrl, for routers. */
  readonly metadataPath: string;
  /** Serves the metadata at its path (GET, HEAD, CORS preflight); undefined for any other path. */
  handleMetadataRequest(request: Request): Response | undefined;
}

export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const issuer = options.issuer;
  checkResourceIdentifier(issuer, 'issuer');
  const resourceUrl = checkResourceIdentifier(options.resource, 'resource');
  const resource = options.resource;
  const now = options.now ?? Date.now;
  const skew = options.clockSkewSeconds ?? 30;
  const algorithms = [...(options.algorithms ?? ['ES256'])];
  if (algorithms.length === 0 || algorithms.some((alg) => !ASYMMETRIC_JWS_ALGORITHMS.has(alg))) {
    throw new TypeError('algorithms must be asymmetric JWS algorithms');
  }
  const dpopRequired = options.dpop?.required === true;
  const dpopAlgorithms = [...(options.dpop?.algorithms ?? DPOP_DEFAULT_ALGORITHMS)].filter((alg) =>
    ASYMMETRIC_JWS_ALGORITHMS.has(alg),
  );
  if (dpopAlgorithms.length === 0) throw new TypeError('dpop.algorithms must list asymmetric algorithms');
  const nonces: DpopNonces | undefined =
    options.dpop?.nonceSecret === undefined
      ? undefined
      : createDpopNonces({
          secret: options.dpop.nonceSecret,
          ...(options.dpop.nonceWindowSeconds === undefined
            ? {}
            : { windowSeconds: options.dpop.nonceWindowSeconds }),
        });
  const replay = options.replay ?? createMemoryReplayGuard();
  const upstream: UpstreamOptions = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? 5000,
    maxBytes: 512 * 1024,
  };
  const cooldownMs = (options.jwks?.cooldownSeconds ?? 30) * 1000;
  const discover = createMetadataDiscovery(issuer, upstream, now, cooldownMs);
  const metadataUrl = protectedResourceMetadataUrl(resource);
  const metadataPath = new URL(metadataUrl).pathname;
  const metadataDocument = buildMetadata();
  const metadataBody = JSON.stringify(metadataDocument);

  const verifyToken = createAccessTokenVerifier({
    issuer,
    resource,
    algorithms,
    clockSkewSeconds: skew,
    upstream,
    now,
    discover,
    cooldownMs,
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
    ...(options.jwks === undefined ? {} : { jwks: options.jwks }),
    ...(options.introspection === undefined ? {} : { introspection: options.introspection }),
  });

  function buildMetadata(): ProtectedResourceMetadata {
    return {
      resource,
      authorization_servers: [issuer],
      ...(options.scopesSupported === undefined ? {} : { scopes_supported: [...options.scopesSupported] }),
      bearer_methods_supported: ['header'],
      ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
      dpop_signing_alg_values_supported: dpopAlgorithms,
      ...(dpopRequired ? { dpop_bound_access_tokens_required: true } : {}),
    };
  }

  /** The schemes to challenge with when nothing usable was presented. */
  const defaultSchemes: readonly TokenScheme[] = dpopRequired ? ['DPoP'] : ['Bearer', 'DPoP'];

  const checkDpop = createDpopBindingCheck({
    resourceUrl,
    required: dpopRequired,
    algorithms: dpopAlgorithms,
    nonces,
    replay,
    clockSkewSeconds: skew,
  });

  async function authenticateOrThrow(
    request: Request,
    required: readonly string[],
  ): Promise<{ auth: AuthInfo; headers: Record<string, string> }> {
    let credentials: AuthorizationCredentials;
    try {
      credentials = parseAuthorization(request.headers.get('authorization'));
    } catch (error) {
      throw new Refused({ error: error as OAuthError, schemes: defaultSchemes, withError: true });
    }
    if (credentials.kind === 'none') {
      // RFC 6750 §3.1: no error code; the scope says what to ask for (MCP scope selection).
      throw new Refused({
        error: new OAuthError('invalid_token', {
          reason: credentials.reason,
          description: 'this resource needs an access token',
        }),
        schemes: defaultSchemes,
        withError: false,
        scope: required,
      });
    }
    const { scheme, token } = credentials;
    const at = now();
    let verified: VerifiedToken;
    try {
      verified = await verifyToken(token, at);
    } catch (error) {
      if (isOAuthError(error)) {
        // A token refused as such: challenge with the scheme it came with (a DPoP client gets a
        // DPoP challenge), or with DPoP alone when Bearer is not accepted here at all.
        throw new Refused({
          error,
          schemes: scheme === 'DPoP' || dpopRequired ? ['DPoP'] : ['Bearer'],
          withError: true,
        });
      }
      throw error;
    }
    const headers = await checkDpop(request, scheme, token, verified, at);
    const auth: AuthInfo = {
      token,
      clientId: verified.clientId,
      scopes: verified.scopes,
      expiresAt: verified.expiresAt,
      resource: new URL(resource),
      extra: {
        sub: verified.subject,
        ...(verified.jkt === undefined ? {} : { jkt: verified.jkt }),
        claims: verified.claims,
      },
    };
    const refusal = insufficientScope(
      auth.scopes,
      auth.extra.jkt !== undefined,
      required,
      options.scopeImplies,
    );
    if (refusal !== undefined) throw new Refused(refusal);
    return { auth, headers };
  }

  return {
    issuer,
    resource,
    metadataUrl,
    metadataPath,
    metadata: () => structuredClone(metadataDocument),
    checkScopes(auth, scopes) {
      // The same normalisation as authenticate's `scopes` option, so the answers are identical.
      const refusal = insufficientScope(
        auth.scopes,
        auth.extra.jkt !== undefined,
        [...new Set(scopes)],
        options.scopeImplies,
      );
      if (refusal === undefined) return { ok: true };
      return {
        ok: false,
        response: refusalResponse(refusal, metadataUrl, dpopAlgorithms),
        error: refusal.error,
      };
    },
    async authenticate(request, authenticateOptions = {}) {
      const required = [...new Set(authenticateOptions.scopes ?? [])];
      try {
        const { auth, headers } = await authenticateOrThrow(request, required);
        return { ok: true, auth, headers };
      } catch (error) {
        if (error instanceof Refused) {
          return {
            ok: false,
            response: refusalResponse(error.refusal, metadataUrl, dpopAlgorithms),
            error: error.refusal.error,
          };
        }
        // The authorization server (JWKS, metadata, introspection) could not be asked: not the
        // client's fault, and nothing about why goes out.
        const unavailable = new OAuthError('temporarily_unavailable', {
          reason:
            error instanceof AuthorizationServerUnavailable ? 'authorization_server_unavailable' : 'internal',
          description: 'the access token cannot be checked right now',
        });
        return {
          ok: false,
          error: unavailable,
          response: new Response(JSON.stringify(unavailable.toJSON()), {
            status: 503,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '5' },
          }),
        };
      }
    },
    handleMetadataRequest: (request) =>
      protectedResourceMetadataResponse(request, metadataPath, metadataBody),
  };
}
