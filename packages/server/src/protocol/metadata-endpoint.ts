import { SUPPORTED_CODE_CHALLENGE_METHODS } from '@gatehouse-oauth/core';
import { CLIENT_ASSERTION_SIGNING_ALGS } from '../clients/private-key-jwt.ts';
import type { ServerContext } from '../context.ts';
import { advertisedGrantTypes } from '../grants/grant-types.ts';

/**
 * Authorization server metadata, RFC 8414 §2 (MCP-2, MCP-4). `issuer` is exactly the configured
 * issuer (RFC 8414 §3.3, MCP-3), and `code_challenge_methods_supported` is present because MCP
 * clients refuse to proceed without it.
 */
export function authorizationServerMetadata(ctx: ServerContext): Record<string, unknown> {
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
  // RFC 8414 §2: required when private_key_jwt is listed (MCP-EXT-CC, AT-12); asymmetric only, so
  // never `none` or HS*.
  const signingAlgs = [...(ctx.clientAssertions.algorithms ?? CLIENT_ASSERTION_SIGNING_ALGS)];
  return {
    issuer: ctx.issuer,
    authorization_endpoint: ctx.endpoints.authorization,
    token_endpoint: ctx.endpoints.token,
    jwks_uri: ctx.endpoints.jwks,
    revocation_endpoint: ctx.endpoints.revocation,
    introspection_endpoint: ctx.endpoints.introspection,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: advertisedGrantTypes(ctx),
    code_challenge_methods_supported: [...SUPPORTED_CODE_CHALLENGE_METHODS],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: signingAlgs,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_signing_alg_values_supported: signingAlgs,
    // Introspection is for resource servers with credentials: no `none`.
    introspection_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    introspection_endpoint_auth_signing_alg_values_supported: signingAlgs,
    scopes_supported: ctx.resources.allScopes,
    prompt_values_supported: ['none', 'login', 'consent'],
    // RFC 9207 §3 (MCP-14): every authorization response carries iss.
    authorization_response_iss_parameter_supported: true,
    // CIMD §6 (CIMD-ASM-1, MCP-5): https client_ids are fetched as Client ID Metadata Documents.
    ...(ctx.features.cimd ? { client_id_metadata_document_supported: true } : {}),
    // RFC 8414 §2 / RFC 7591 §3: MCP clients fall back to DCR only when this is published (MCP-5).
    ...(ctx.features.registration ? { registration_endpoint: ctx.endpoints.registration } : {}),
    // RFC 9126 §5: where to push authorization requests, and whether every request must be pushed
    // (clients may still be required individually, by their own metadata, RFC 9126 §6).
    pushed_authorization_request_endpoint: ctx.endpoints.pushedAuthorizationRequest,
    require_pushed_authorization_requests: ctx.par.required,
    // RFC 9449 §5.1: the algorithms a DPoP proof may use here (AT-12: ES256 among them by default).
    dpop_signing_alg_values_supported: [...ctx.dpop.algorithms],
    // RFC 9068 access tokens are ES256 JWTs.
    access_token_signing_alg_values_supported: ['ES256'],
    // What the profile adds (AT-12: require_request_uri_registration).
    ...ctx.profile.metadataFields?.(),
  };
}

/** Public documents: cacheable for a minute and readable cross-origin (browser-based clients). */
const PUBLIC_JSON = {
  'content-type': 'application/json',
  'cache-control': 'public, max-age=60',
  'access-control-allow-origin': '*',
};

export function metadataEndpoint(ctx: ServerContext) {
  const body = JSON.stringify(authorizationServerMetadata(ctx));
  return async (): Promise<Response> => new Response(body, { headers: PUBLIC_JSON });
}

/** RFC 7517 JWK Set of the access token signing keys, current and recently retired. */
export function jwksEndpoint(ctx: ServerContext) {
  return async (): Promise<Response> =>
    new Response(JSON.stringify(await ctx.keys.jwks()), { headers: PUBLIC_JSON });
}
