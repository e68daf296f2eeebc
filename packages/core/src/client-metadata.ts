import { z } from 'zod';

/**
 * Client metadata, RFC 7591 §2, with wire names kept snake_case. One schema serves pre-registered
 * clients now and DCR/CIMD later (which add their own rules on top). Unknown members are dropped,
 * not fatal (RFC 7591 §2: "MUST ignore any client metadata it does not understand", CIMD-DOC-2).
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

const httpsOrHttpUrl = z.string().max(2048).url();

export const clientMetadataSchema = z.object({
  client_id: z.string().min(1).max(2048),
  redirect_uris: z.array(z.string().min(1).max(2048)).max(64).default([]),
  // RFC 7591 §2 defaults to client_secret_basic; a pre-registered file must say what it means.
  token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).default('client_secret_basic'),
  grant_types: z.array(z.string().min(1).max(256)).max(16).default(['authorization_code']),
  response_types: z.array(z.string().min(1).max(64)).max(8).default(['code']),
  client_name: z.string().max(256).optional(),
  client_uri: httpsOrHttpUrl.optional(),
  logo_uri: httpsOrHttpUrl.optional(),
  scope: z.string().max(4096).optional(),
  contacts: z.array(z.string().max(256)).max(16).optional(),
  tos_uri: httpsOrHttpUrl.optional(),
  policy_uri: httpsOrHttpUrl.optional(),
  jwks_uri: httpsOrHttpUrl.optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).max(32) }).optional(),
  software_id: z.string().max(256).optional(),
  software_version: z.string().max(256).optional(),
  application_type: z.enum(['web', 'native']).optional(),
  // RFC 9126 §6: this client's authorization requests must come through PAR.
  require_pushed_authorization_requests: z.boolean().optional(),
  // RFC 9449 §5.2: this client always uses DPoP; token requests without a proof are refused.
  dpop_bound_access_tokens: z.boolean().optional(),
});

export type ClientMetadata = z.infer<typeof clientMetadataSchema>;
