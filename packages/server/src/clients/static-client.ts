import {
  type ClientMetadata,
  checkRedirectUriSyntax,
  clientMetadataSchema,
  OAuthError,
} from '@gatehouse-oauth/core';
import { z } from 'zod';
import { digest, randomToken } from '../crypto/digest.ts';
import type { ClientRecord } from '../store/store.ts';
import { CLIENT_ASSERTION_SIGNING_ALGS } from './private-key-jwt.ts';

/**
 * Pre-registered ("static") clients: metadata an operator adds with `gatehouse clients add --file`.
 * The same RFC 7591 rules as any other registration apply, plus:
 * - client_ids that look like URLs are refused: `https://` ids are CIMD client_ids and must come
 *   from their document (CIMD-CO-1, AT-2);
 * - a secret-based client gets a generated 256-bit secret unless the file brings one (at least 32
 *   characters), and only its digest is kept;
 * - a `private_key_jwt` client (RFC 7523 §2.2) brings its public keys: `jwks` or `jwks_uri`, not
 *   both (RFC 7591 §2), no private key material, an https `jwks_uri`, and optionally
 *   `token_endpoint_auth_signing_alg` from the accepted asymmetric algorithms. It has no secret.
 */
export interface StaticClientInput {
  record: ClientRecord;
  /** The secret to show the operator once, when one was generated. */
  generatedSecret?: string;
}

export function prepareStaticClient(input: unknown, now: number): StaticClientInput {
  const parsed = clientMetadataSchema
    .extend({
      client_secret: clientMetadataSchema.shape.client_id.optional(),
      // RFC 7591 §2. Not (yet) in the shared schema, so validated and kept here.
      token_endpoint_auth_signing_alg: z.enum(CLIENT_ASSERTION_SIGNING_ALGS).optional(),
    })
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
  checkKeyMetadata(metadata);
  const method = metadata.token_endpoint_auth_method;
  const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
  if (!usesSecret && secret !== undefined) {
    throw new OAuthError('invalid_client_metadata', {
      reason: 'secret_for_public_client',
      description: `a client using ${method} has no client_secret`,
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

/** Private members of RFC 7518 §6.2.2, §6.3.2, §6.4 and RFC 8037 §2 JWKs. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function invalidKeys(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', { reason, description });
}

/** The key rules for private_key_jwt clients, and no stray keys on others (also used by DCR registration). */
export function checkKeyMetadata(
  metadata: Pick<ClientMetadata, 'token_endpoint_auth_method' | 'jwks' | 'jwks_uri'> & {
    // zod's output type for an optional member; the key itself is absent when not given.
    token_endpoint_auth_signing_alg?: string | undefined;
  },
): void {
  const { jwks, jwks_uri: jwksUri } = metadata;
  if (metadata.token_endpoint_auth_method !== 'private_key_jwt') {
    if (metadata.token_endpoint_auth_signing_alg !== undefined) {
      throw invalidKeys(
        'signing_alg_without_private_key_jwt',
        'token_endpoint_auth_signing_alg applies to private_key_jwt clients only',
      );
    }
    return;
  }
  // RFC 7591 §2: "jwks_uri and jwks parameters MUST NOT both be present"; CIMD-AUTH-1 needs one.
  if ((jwks === undefined) === (jwksUri === undefined)) {
    throw invalidKeys('jwks_required', 'a private_key_jwt client needs exactly one of jwks and jwks_uri');
  }
  if (jwksUri !== undefined && new URL(jwksUri).protocol !== 'https:') {
    throw invalidKeys('jwks_uri_not_https', 'jwks_uri must be an https URL');
  }
  if (jwks !== undefined) {
    if (jwks.keys.length === 0) throw invalidKeys('jwks_empty', 'jwks must contain at least one key');
    for (const [index, key] of jwks.keys.entries()) {
      // A private key in metadata is a leaked key: refuse it rather than silently drop the members.
      const leaked = PRIVATE_JWK_MEMBERS.filter((member) => member in key);
      if (leaked.length > 0) {
        throw invalidKeys(
          'jwks_private_key',
          `jwks.keys.${index} carries private key material (${leaked.join(', ')}); publish public keys only`,
        );
      }
      if (key.kty !== 'EC' && key.kty !== 'RSA' && key.kty !== 'OKP') {
        throw invalidKeys('jwks_key_type', `jwks.keys.${index}: kty must be EC, RSA or OKP`);
      }
    }
  }
}
