import { isDeepStrictEqual } from 'node:util';
import type { ClientMetadata } from '@gatehouse-oauth/core';

/**
 * What changed between two versions of a client's metadata (CIMD §8.4, CIMD-CHG-1). Fields that
 * change what the client can do or where tokens go are security-relevant; names and logos are
 * cosmetic (shown as the client's claim anyway).
 */
export const SECURITY_RELEVANT_FIELDS = [
  'redirect_uris',
  'jwks',
  'jwks_uri',
  'token_endpoint_auth_method',
  'grant_types',
  'response_types',
  'scope',
] as const satisfies readonly (keyof ClientMetadata)[];

export const COSMETIC_FIELDS = [
  'client_name',
  'logo_uri',
  'client_uri',
  'tos_uri',
  'policy_uri',
] as const satisfies readonly (keyof ClientMetadata)[];

export interface MetadataChange {
  securityRelevant: string[];
  cosmetic: string[];
}

export function diffClientMetadata(previous: ClientMetadata, current: ClientMetadata): MetadataChange {
  const differs = (field: keyof ClientMetadata) => !isDeepStrictEqual(previous[field], current[field]);
  return {
    securityRelevant: SECURITY_RELEVANT_FIELDS.filter(differs),
    cosmetic: COSMETIC_FIELDS.filter(differs),
  };
}

/**
 * What to do when a security-relevant field changes (configurable, `cimd.on_change`):
 * - `keep`: audit only;
 * - `reconsent`: existing grants no longer approve silently; users see the consent page again
 *   (tokens already issued keep working until they expire or are refreshed out);
 * - `revoke`: revoke every grant and token of the client at once.
 * Routine key rotation (CIMD-CHG-2) falls under `jwks`/`jwks_uri`: with `revoke` it logs users
 * out, which is why `reconsent` is the default.
 */
export type DocumentChangePolicy = 'keep' | 'reconsent' | 'revoke';
