import type { ClientIdUrlPolicy } from './client-id-url.ts';

/**
 * What a server accepts in a Client ID Metadata Document (client-metadata-document.ts): the grant,
 * response and authentication types it supports, and the choices the draft leaves to it.
 */
export type CimdAuthMethod = 'none' | 'private_key_jwt';

export interface ClientMetadataDocumentPolicy extends ClientIdUrlPolicy {
  /**
   * CIMD-DOC-11: the grant types the server supports. The document's `grant_types` are
   * intersected with it; only an empty result is an error (VS Code lists device_code, claude.ai
   * lists jwt-bearer). Default `['authorization_code', 'refresh_token']`.
   */
  supportedGrantTypes?: readonly string[];
  /** Response types the server supports; intersected like grant types. Default `['code']`. */
  supportedResponseTypes?: readonly string[];
  /**
   * Token endpoint authentication methods the server offers CIMD clients. Shared-secret methods
   * can never be offered (CIMD-DOC-3). Default `['none', 'private_key_jwt']`.
   */
  supportedAuthMethods?: readonly CimdAuthMethod[];
  /**
   * CIMD-DOC-10: what a document without `token_endpoint_auth_method` (and without
   * `token_endpoint_auth_methods_supported`) means. The RFC 7591 default, client_secret_basic, is
   * impossible for a CIMD. Default `'none'`: a public client, which is what such documents mean in
   * practice (MCP clients); `'reject'` is atproto's choice.
   */
  missingAuthMethod?: 'none' | 'reject';
  /**
   * CIMD-REDIR-4 (MAY): require every https redirect_uri to share the client_id's origin, and every
   * private-use scheme to be the client_id host reversed (RFC 8252 §7.1, as atproto does). Loopback
   * redirects are exempt (they are warned about instead). Default false: real clients (and CIMD
   * services, CIMD-REDIR-5) redirect elsewhere; a differing host is a warning.
   */
  requireSameOriginRedirects?: boolean;
}

export const DEFAULT_SUPPORTED_GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token'];
export const DEFAULT_SUPPORTED_RESPONSE_TYPES: readonly string[] = ['code'];
export const DEFAULT_SUPPORTED_AUTH_METHODS: readonly CimdAuthMethod[] = ['none', 'private_key_jwt'];
