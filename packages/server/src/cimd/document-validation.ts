import {
  type ClientMetadata,
  type ClientMetadataDocumentPolicy,
  validateClientMetadataDocument,
} from '@gatehouse-oauth/core';
import type { CimdSettings } from '../config/cimd-schema.ts';
import type { ProfileHooks } from '../profiles/profile.ts';

/**
 * How the server validates a Client ID Metadata Document, written once: the document cache runs it
 * before anything is cached (clients/client-resolution.ts), and the preview and pre-registration of
 * a client (governance/client-preview.ts) run the very same, so what an operator is shown is what
 * the server decides.
 */

/** The document rules the `cimd` settings choose (CIMD-URL-6, CIMD-DOC-10). */
export function cimdDocumentPolicy(cimd: CimdSettings): ClientMetadataDocumentPolicy {
  return {
    allowQuery: cimd.allowQuery,
    missingAuthMethod: cimd.missingAuthMethod,
    // CIMD-DOC-11: the grants this server performs. client_credentials is kept when listed (the
    // client's own signal that it means to use it, decision 0042); the tier decides whether it may.
    supportedGrantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  };
}

/**
 * The validator of a fetched document: the profile's (atproto: AT-4, AT-8, after the generic
 * rules) or the generic one. Throws an OAuthError for the first error.
 */
export function documentValidator(
  profile: Pick<ProfileHooks, 'validateDocument'>,
  policy: ClientMetadataDocumentPolicy,
): (body: unknown, url: string) => ClientMetadata {
  const validateDocument = profile.validateDocument;
  return validateDocument === undefined
    ? (body, url) => validateClientMetadataDocument(body, url, policy).metadata
    : (body, url) => validateDocument(body, url, policy);
}
