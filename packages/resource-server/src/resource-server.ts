import {
  ASYMMETRIC_JWS_ALGORITHMS,
  createDpopNonces,
  DPOP_DEFAULT_ALGORITHMS,
  type DpopNonces,
  isDpopNonceError,
  isOAuthError,
  OAuthError,
  verifyDpopProof,
} from '@gatehouse/core';
import {
  type AuthorizationCredentials,
  parseAuthorization,
  type TokenScheme,
} from './authorization-header.ts';
import { createMetadataDiscovery } from './authorization-server-metadata.ts';
import { challenge } from './challenge.ts';
import { createIntrospectionClient } from './introspection.ts';
import { createJwksCache } from './jwks-cache.ts';
import { verifyJwtAccessToken } from './jwt-access-token.ts';
import {
  checkResourceIdentifier,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.ts';
import { createMemoryReplayGuard, type ReplayGuard } from './replay-memory.ts';
import { AuthorizationServerUnavailable, type UpstreamOptions } from './upstream.ts';
import { invalidToken, type VerifiedToken } from './verified-token.ts';

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

/** Shaped like the MCP SDK's `AuthInfo`, so it can be handed to the SDK's transports as `req.auth`. */
export type AuthInfo = {
  /** The access token as presented. */
  token: string;
  clientId: string;
  /** The scopes granted in the token (not expanded by `scopeImplies`). */
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  /** This resource (RFC 8707), which the token's audience contains. */
  resource: URL;
  extra: AuthInfoExtra;
};

export type AuthInfoExtra = {
  /** The end user (or the client itself, for client credentials). */
  sub: string;
  /** The DPoP key thumbprint the token is bound to and the request was proven with. */
  jkt?: string;
  /** Every claim of the JWT, or every member of the introspection answer. */
  claims: Record<string, unknown>;
};

export type AuthenticateResult =
  | {
      ok: true;
      auth: AuthInfo;
      /** Headers to add to the successful response (a fresh `DPoP-Nonce`, RFC 9449 §8.2). */
      headers: Record<string, string>;
    }
  | { ok: false; response: Response; error: OAuthError };

/** What `checkScopes` answers: go on, or the 403 `insufficient_scope` refusal to send as it is. */
export type CheckScopesResult = { ok: true } | { ok: false; response: Response; error: OAuthError };

export interface AuthenticateOptions {
  /** Scopes this request needs; all of them (after `scopeImplies`), or 403 insufficient_scope. */
  scopes?: readonly string[];
}

export interface ResourceServerOptions {
  /** Gatehouse's issuer URL: tokens must carry exactly this `iss`; named in the metadata. */
  issuer: string;
  /** This resource's identifier (RFC 8707, RFC 9728): tokens must have it in `aud`. */
  resource: string;
  /** Default: the `jwks_uri` of the issuer's RFC 8414 metadata, discovered once. */
  jwksUri?: string;
  /** Advertised as `scopes_supported` in the protected resource metadata. */
  scopesSupported?: readonly string[];
  /** Advertised as `resource_name`. */
  resourceName?: string;
  /**
   * DPoP (RFC 9449). DPoP-bound tokens (`cnf.jkt`) are always held to their key; `required` also
   * refuses Bearer tokens. `nonceSecret` (≥ 16 bytes, shared by every instance) turns on server
   * nonces (§9); `algorithms` narrows the proof algorithms (default ES256, ES384, EdDSA, RS256, PS256).
   */
  dpop?: {
    required?: boolean;
    nonceSecret?: string | Uint8Array;
    nonceWindowSeconds?: number;
    algorithms?: readonly string[];
  };
  /** Where DPoP proof jtis are remembered (§11.1). Default: in memory, bounded, this process only. */
  replay?: ReplayGuard;
  /** Ask the authorization server (RFC 7662) instead of verifying JWTs locally. */
  introspection?: {
    /** Default: `introspection_endpoint` from the issuer's metadata. */
    endpoint?: string;
    clientId: string;
    clientSecret: string;
    /** How long an active answer is reused (never past the token's exp). Default 30; 0 = never. */
    cacheSeconds?: number;
  };
  /** For the metadata, JWKS and introspection requests. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Epoch milliseconds. Default: Date.now. */
  now?: () => number;
  /** Access token signature algorithms (RFC 9068 §4). Default ['ES256'], which Gatehouse signs with. */
  algorithms?: readonly string[];
  /** Tolerance for exp/nbf and for DPoP iat. Default 30 seconds. */
  clockSkewSeconds?: number;
  /**
   * Scope hierarchy (MCP-16): a granted scope implies these others, transitively; e.g.
   * `{ 'mcp:admin': ['mcp:tools'] }` lets an mcp:admin token through where mcp:tools is required.
   */
  scopeImplies?: Readonly<Record<string, readonly string[]>>;
  /** JWKS cache: refetched when older than maxAgeSeconds (default 600), and on an unknown kid at
   * most once per cooldownSeconds (default 30). */
  jwks?: { maxAgeSeconds?: number; cooldownSeconds?: number };
  /** Deadline for each call to the authorization server. Default 5000 ms. */
  timeoutMs?: number;
}

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

/** DPoP proofs are refused when older than this (RFC 9449 §11.1; the core default). */
const DPOP_MAX_AGE_SECONDS = 300;

interface Refusal {
  error: OAuthError;
  /** The challenges to send, in order. Bearer first where it appears: MCP clients read only the first. */
  schemes: readonly TokenScheme[];
  /** RFC 6750 §3.1: no error code when the request carried no credentials. */
  withError: boolean;
  scope?: readonly string[];
  headers?: Record<string, string>;
}

class Refused extends Error {
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(refusal.error.message);
    this.refusal = refusal;
  }
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

  const verifyToken = createTokenVerifier();

  function createTokenVerifier(): (token: string, at: number) => Promise<VerifiedToken> {
    const introspection = options.introspection;
    if (introspection !== undefined) {
      const configured = introspection.endpoint;
      const introspect = createIntrospectionClient({
        issuer,
        resource,
        clientId: introspection.clientId,
        clientSecret: introspection.clientSecret,
        endpoint: async () => {
          if (configured !== undefined) return configured;
          const found = (await discover()).introspectionEndpoint;
          if (found === undefined) {
            throw new AuthorizationServerUnavailable('the issuer publishes no introspection_endpoint');
          }
          return found;
        },
        upstream,
        clockSkewSeconds: skew,
        cacheMs: (introspection.cacheSeconds ?? 30) * 1000,
        maxCacheEntries: 10_000,
      });
      return introspect;
    }
    const configured = options.jwksUri;
    const keys = createJwksCache({
      jwksUri: async () => {
        if (configured !== undefined) return configured;
        const found = (await discover()).jwksUri;
        if (found === undefined) throw new AuthorizationServerUnavailable('the issuer publishes no jwks_uri');
        return found;
      },
      upstream,
      now,
      maxAgeMs: (options.jwks?.maxAgeSeconds ?? 600) * 1000,
      cooldownMs,
    });
    return (token, at) =>
      verifyJwtAccessToken({ issuer, resource, algorithms, clockSkewSeconds: skew, keys }, token, at);
  }

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

  function grantedWithImplied(granted: readonly string[]): Set<string> {
    const all = new Set(granted);
    const pending = [...granted];
    for (let scope = pending.pop(); scope !== undefined; scope = pending.pop()) {
      for (const implied of options.scopeImplies?.[scope] ?? []) {
        if (!all.has(implied)) {
          all.add(implied);
          pending.push(implied);
        }
      }
    }
    return all;
  }

  async function checkDpop(
    request: Request,
    scheme: TokenScheme,
    token: string,
    verified: VerifiedToken,
    at: number,
  ): Promise<Record<string, string>> {
    const refuse = (error: OAuthError, headers?: Record<string, string>): never => {
      throw new Refused({ error, schemes: ['DPoP'], withError: true, ...(headers ? { headers } : {}) });
    };
    if (scheme === 'Bearer') {
      // RFC 9449 §7.2: a DPoP-bound token presented as a Bearer token is refused; otherwise
      // whoever stole it could use it without the key.
      if (verified.jkt !== undefined) {
        refuse(invalidToken('token_dpop_bound', 'this access token is DPoP-bound: use the DPoP scheme'));
      }
      if (dpopRequired) refuse(invalidToken('dpop_required', 'this resource accepts DPoP-bound tokens only'));
      return {};
    }
    // RFC 9449 §7.1: the DPoP scheme is only for DPoP-bound tokens.
    if (verified.jkt === undefined) {
      refuse(
        invalidToken('token_not_dpop_bound', 'this access token is not DPoP-bound: use the Bearer scheme'),
      );
    }
    const proof = request.headers.get('dpop');
    if (proof === null || proof === '') {
      refuse(dpopError('dpop_proof_missing', 'a DPoP proof is required with a DPoP-bound access token'));
    }
    // §4.3 step 1: exactly one DPoP header; fetch joins repeated headers with ", ".
    if (proof!.includes(',')) refuse(dpopError('dpop_multiple', 'exactly one DPoP header is allowed'));
    let checked: Awaited<ReturnType<typeof verifyDpopProof>>;
    try {
      checked = await verifyDpopProof(proof!, {
        htm: request.method,
        // §4.3 step 9: htu is this resource's public origin and the request path. The origin comes
        // from the resource identifier, not the Host header or the socket, so a TLS-terminating
        // proxy in front (the request arrives as http://10.0.0.5:3000/mcp) changes nothing.
        htu: `${resourceUrl.origin}${new URL(request.url).pathname}`,
        accessToken: token, // §4.3 step 12: ath
        ...(nonces === undefined ? {} : { nonce: nonces.predicate(at) }),
        now: at,
        maxAgeSeconds: DPOP_MAX_AGE_SECONDS,
        clockSkewSeconds: skew,
        algorithms: dpopAlgorithms,
      });
    } catch (error) {
      // §9: the resource server asks for a (fresh) nonce with 401 use_dpop_nonce and DPoP-Nonce.
      if (isDpopNonceError(error)) refuse(error, { 'DPoP-Nonce': nonces!.current(at) });
      if (isOAuthError(error)) refuse(error);
      throw error;
    }
    // §7.1: the proof is made with the key the token is bound to (cnf.jkt, §6.1).
    if (checked!.jkt !== verified.jkt) {
      refuse(dpopError('dpop_key_mismatch', 'the DPoP proof is not signed by the key the token is bound to'));
    }
    // §11.1, AT-11: a proof is used once. Remembered only after every other check passed, so a
    // refused proof does not burn its jti; kept until the proof would be too old anyway.
    const expiresAt = (checked!.iat + DPOP_MAX_AGE_SECONDS + skew) * 1000;
    if (!(await replay.remember(`dpop:${checked!.jkt}:${checked!.jti}`, expiresAt, at))) {
      refuse(dpopError('dpop_replay', 'this DPoP proof has been used before'));
    }
    // §8.2: a successful response may carry the next nonce so the client rotates before expiry.
    return nonces === undefined ? {} : { 'DPoP-Nonce': nonces.current(at) };
  }

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
    const refusal = insufficientScope(auth, required);
    if (refusal !== undefined) throw new Refused(refusal);
    return { auth, headers };
  }

  /**
   * RFC 6750 §3.1, MCP-16: 403 naming the scopes this request needs (all of them, per SEP-2350
   * not the union with what the token has: the client computes the union itself). Shared by
   * `authenticate` and `checkScopes`. The scheme is the token's: after checkDpop a request used
   * the DPoP scheme exactly when its token is DPoP-bound (RFC 9449 §7.1, §7.2).
   */
  function insufficientScope(auth: AuthInfo, required: readonly string[]): Refusal | undefined {
    const granted = grantedWithImplied(auth.scopes);
    if (required.every((scope) => granted.has(scope))) return undefined;
    return {
      error: new OAuthError('insufficient_scope', {
        reason: 'scope_insufficient',
        description: 'the access token does not carry the scope this request needs',
      }),
      schemes: [auth.extra.jkt === undefined ? 'Bearer' : 'DPoP'],
      withError: true,
      scope: required,
    };
  }

  function refusalResponse(refusal: Refusal): Response {
    const { error } = refusal;
    const status = error.error === 'invalid_request' ? 400 : error.error === 'insufficient_scope' ? 403 : 401; // invalid_token, invalid_dpop_proof, use_dpop_nonce (RFC 9449 §7.1, §9)
    const challenges = refusal.schemes.map((scheme) =>
      challenge(scheme, {
        ...(refusal.withError ? { error: error.error } : {}),
        ...(refusal.withError && error.description !== undefined
          ? { errorDescription: error.description }
          : {}),
        ...(refusal.scope === undefined ? {} : { scope: refusal.scope }),
        resourceMetadata: metadataUrl,
        algs: dpopAlgorithms,
      }),
    );
    const headers: Record<string, string> = {
      'www-authenticate': challenges.join(', '),
      'cache-control': 'no-store',
      ...refusal.headers,
    };
    if (!refusal.withError) return new Response(null, { status, headers });
    headers['content-type'] = 'application/json';
    return new Response(JSON.stringify(error.toJSON()), { status, headers });
  }

  return {
    issuer,
    resource,
    metadataUrl,
    metadataPath,
    metadata: () => structuredClone(metadataDocument),
    checkScopes(auth, scopes) {
      // The same normalisation as authenticate's `scopes` option, so the answers are identical.
      const refusal = insufficientScope(auth, [...new Set(scopes)]);
      if (refusal === undefined) return { ok: true };
      return { ok: false, response: refusalResponse(refusal), error: refusal.error };
    },
    async authenticate(request, authenticateOptions = {}) {
      const required = [...new Set(authenticateOptions.scopes ?? [])];
      try {
        const { auth, headers } = await authenticateOrThrow(request, required);
        return { ok: true, auth, headers };
      } catch (error) {
        if (error instanceof Refused) {
          return { ok: false, response: refusalResponse(error.refusal), error: error.refusal.error };
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
    handleMetadataRequest(request) {
      const url = new URL(request.url);
      if (url.pathname !== metadataPath) return undefined;
      const cors = { 'access-control-allow-origin': '*' };
      // RFC 9728 §3: GET; browser-based clients need CORS to read it.
      if (request.method === 'OPTIONS') {
        return new Response(null, {
          status: 204,
          headers: {
            ...cors,
            'access-control-allow-methods': 'GET, HEAD, OPTIONS',
            'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? '*',
            'access-control-max-age': '86400',
          },
        });
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { ...cors, allow: 'GET, HEAD, OPTIONS' } });
      }
      return new Response(request.method === 'HEAD' ? null : metadataBody, {
        status: 200,
        headers: { ...cors, 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      });
    },
  };
}

function dpopError(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_dpop_proof', { reason, description, status: 401 });
}
