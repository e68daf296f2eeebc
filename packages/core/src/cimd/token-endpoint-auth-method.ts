import {
  type CimdAuthMethod,
  type ClientMetadataDocumentPolicy,
  DEFAULT_SUPPORTED_AUTH_METHODS,
} from './client-metadata-document-policy.ts';
import type { Report } from './finding.ts';

/**
 * The token endpoint authentication method of a CIMD client (CIMD-DOC-3, -10, CIMD-AUTH-1…3): never
 * a shared secret, resolved from the document, negotiated, or defaulted by policy.
 */

const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/**
 * CIMD-DOC-3 and CIMD-DOC-10: the token endpoint authentication method the server will hold the
 * client to (CIMD-AUTH-2).
 *
 * - An explicit `token_endpoint_auth_method` wins. Shared-secret methods are refused (CIMD-DOC-3);
 *   anything else the server does not offer is refused too.
 * - Otherwise `token_endpoint_auth_methods_supported` (RP Metadata Choices) is negotiated:
 *   private_key_jwt when the document lists it, the server offers it and the document carries keys
 *   (stronger authentication, and the client has shown it can do it: this is what ChatGPT does
 *   when an AS offers it); else the first method in the document's order that the server offers.
 *   Preferring by the document's order rather than the server's avoids the client-side Auth0 break
 *   (csharp-sdk #1612) where the first entry of the *other* party's list was taken.
 * - Neither present: `missingAuthMethod` policy (default `none`).
 */
export function resolveAuthMethod(
  doc: Record<string, unknown>,
  policy: ClientMetadataDocumentPolicy,
  fail: Report,
  warn: Report,
): CimdAuthMethod | undefined {
  const offered = policy.supportedAuthMethods ?? DEFAULT_SUPPORTED_AUTH_METHODS;
  const declared = doc.token_endpoint_auth_method;
  if (declared !== undefined) {
    if (typeof declared !== 'string') return undefined; // reported by the schema
    if (SHARED_SECRET_METHODS.has(declared) || declared.startsWith('client_secret')) {
      fail(
        'CIMD-DOC-3',
        'cimd_shared_secret_auth_method',
        `token_endpoint_auth_method ${declared} uses a shared secret, which a CIMD client cannot have`,
      );
      return undefined;
    }
    if (!(offered as readonly string[]).includes(declared)) {
      fail(
        'CIMD-DOC-3',
        'cimd_auth_method_unsupported',
        `token_endpoint_auth_method ${declared} is not supported; use one of: ${offered.join(', ')}`,
      );
      return undefined;
    }
    return declared as CimdAuthMethod;
  }

  const choices = doc.token_endpoint_auth_methods_supported;
  if (Array.isArray(choices)) {
    const usable = choices.filter(
      (choice): choice is CimdAuthMethod =>
        typeof choice === 'string' && (offered as readonly string[]).includes(choice),
    );
    const hasKeys = doc.jwks !== undefined || doc.jwks_uri !== undefined;
    const chosen =
      usable.includes('private_key_jwt') && hasKeys
        ? 'private_key_jwt'
        : usable.find((m) => m !== 'private_key_jwt' || hasKeys);
    if (chosen === undefined) {
      fail(
        'CIMD-DOC-10',
        'cimd_auth_method_unsupported',
        `none of token_endpoint_auth_methods_supported is usable; the server offers: ${offered.join(', ')}`,
      );
      return undefined;
    }
    warn(
      'CIMD-DOC-10',
      'cimd_auth_method_negotiated',
      `token_endpoint_auth_method is absent; negotiated ${chosen} from token_endpoint_auth_methods_supported`,
    );
    return chosen;
  }

  if ((policy.missingAuthMethod ?? 'none') === 'reject') {
    fail('CIMD-DOC-10', 'cimd_auth_method_missing', 'the document must contain token_endpoint_auth_method');
    return undefined;
  }
  if (!offered.includes('none')) {
    fail(
      'CIMD-DOC-10',
      'cimd_auth_method_missing',
      'token_endpoint_auth_method is absent and public clients are not accepted',
    );
    return undefined;
  }
  warn(
    'CIMD-DOC-10',
    'cimd_auth_method_defaulted',
    'token_endpoint_auth_method is absent; treated as "none" (a public client). Declare it explicitly',
  );
  return 'none';
}

/**
 * CIMD-AUTH-1 MUST: a private_key_jwt client authenticates with keys from jwks or jwks_uri, so
 * one of them must be there; and the algorithm, when declared, must be asymmetric (CIMD-AUTH-3).
 */
export function checkPrivateKeyJwtKeys(doc: Record<string, unknown>, fail: Report): void {
  const has = (name: string) => Object.hasOwn(doc, name) && doc[name] !== undefined;
  if (!has('jwks') && !has('jwks_uri')) {
    fail('CIMD-AUTH-1', 'cimd_private_key_jwt_without_keys', 'private_key_jwt requires jwks or jwks_uri');
  }
  const alg = doc.token_endpoint_auth_signing_alg;
  if (typeof alg === 'string' && (alg === 'none' || /^HS/i.test(alg))) {
    fail(
      'CIMD-AUTH-3',
      'cimd_auth_signing_alg',
      `token_endpoint_auth_signing_alg ${alg} is not an asymmetric algorithm`,
    );
  }
}
