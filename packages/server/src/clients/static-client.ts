import { checkRedirectUriSyntax, clientMetadataSchema, OAuthError } from '@gatehouse/core';
import { digest, randomToken } from '../crypto/digest.ts';
import type { ClientRecord } from '../store/store.ts';

/**
 * Pre-registered ("static") clients: metadata an operator adds with `gatehouse clients add --file`.
 * The same RFC 7591 rules as any other registration apply, plus:
 * - client_ids that look like URLs are refused: `https://` ids are CIMD client_ids and must come
 *   from their document (CIMD-CO-1, AT-2);
 * - a secret-based client gets a generated 256-bit secret unless the file brings one (at least 32
 *   characters), and only its digest is kept.
 */
export interface StaticClientInput {
  record: ClientRecord;
  /** The secret to show the operator once, when one was generated. */
  generatedSecret?: string;
}

export function prepareStaticClient(input: unknown, now: number): StaticClientInput {
  const parsed = clientMetadataSchema
    .extend({ client_secret: clientMetadataSchema.shape.client_id.optional() })
    .safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OAuthError('invalid_client_metadata', {
      reason: 'metadata_schema',
      description: `${issue?.path.join('.') || 'metadata'}: ${issue?.message ?? 'invalid'}`,
    });
  }
  const { client_secret: secret, ...metadata } = parsed.data;
  if (/^[a-z][a-z0-9+.-]*:/i.test(metadata.client_id)) {
    throw new OAuthError('invalid_client_metadata', {
      reason: 'client_id_looks_like_url',
      description:
        'a pre-registered client_id must not be a URL (URL client_ids are Client ID Metadata Documents)',
    });
  }
  for (const uri of metadata.redirect_uris) checkRedirectUriSyntax(uri);
  if (metadata.grant_types.includes('authorization_code') && metadata.redirect_uris.length === 0) {
    throw new OAuthError('invalid_redirect_uri', {
      reason: 'redirect_uris_missing',
      description: 'a client using the authorization code grant must register redirect_uris',
    });
  }
  if (metadata.grant_types.includes('authorization_code') !== metadata.response_types.includes('code')) {
    // RFC 7591 §2.1: grant_types and response_types must agree.
    throw new OAuthError('invalid_client_metadata', {
      reason: 'grant_response_mismatch',
      description:
        'authorization_code in grant_types requires code in response_types, and the other way round',
    });
  }
  if (metadata.token_endpoint_auth_method === 'private_key_jwt') {
    throw new OAuthError('invalid_client_metadata', {
      reason: 'auth_method_unsupported',
      description: 'private_key_jwt clients are not supported yet',
    });
  }
  const usesSecret = metadata.token_endpoint_auth_method !== 'none';
  if (!usesSecret && secret !== undefined) {
    throw new OAuthError('invalid_client_metadata', {
      reason: 'secret_for_public_client',
      description: 'a public client (token_endpoint_auth_method none) has no client_secret',
    });
  }
  if (secret !== undefined && secret.length < 32) {
    throw new OAuthError('invalid_client_metadata', {
      reason: 'secret_too_short',
      description: 'client_secret must have at least 32 characters; leave it out to have one generated',
    });
  }
  const generatedSecret = usesSecret && secret === undefined ? randomToken() : undefined;
  const effectiveSecret = secret ?? generatedSecret;
  const record: ClientRecord = {
    clientId: metadata.client_id,
    kind: 'static',
    metadata,
    ...(effectiveSecret === undefined ? {} : { secretDigest: digest(effectiveSecret) }),
    createdAt: now,
    updatedAt: now,
  };
  return generatedSecret === undefined ? { record } : { record, generatedSecret };
}
