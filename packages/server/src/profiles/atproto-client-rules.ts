import {
  type AtprotoClientPolicy,
  type ClientMetadataDocumentPolicy,
  checkAtprotoClientDocument,
  checkAtprotoClientId,
  isClientIdMetadataDocumentUrl,
  OAuthError,
  validateClientMetadataDocument,
} from '@gatehouse-oauth/core';
import type { ClientResolver } from '../clients/client-resolver.ts';
import type { AuthorizationServerOptions } from '../options.ts';

/**
 * The AT Protocol profile's client rules (AT-2, AT-4, AT-8), which its hooks `clientIdRules` and
 * `validateDocument` apply (atproto-profile.ts).
 */

/** The policy the atproto client rules run with (core/atproto/atproto-client-metadata.ts). */
export function atprotoClientPolicy(options: AuthorizationServerOptions): AtprotoClientPolicy {
  return {
    allowClientIdPort: options.atproto?.allowClientIdPort === true,
    ...(options.clientAssertionAlgorithms === undefined
      ? {}
      : { clientAssertionAlgorithms: options.clientAssertionAlgorithms }),
  };
}

/**
 * The CIMD validation of the profile: the generic document rules, then AT-4/AT-8 on the raw
 * document. Used as the document cache's `validate`, so a document that breaks them is never cached.
 */
export function atprotoDocumentValidator(
  documentPolicy: ClientMetadataDocumentPolicy,
  policy: AtprotoClientPolicy,
) {
  return (body: unknown, url: string) => {
    const { metadata } = validateClientMetadataDocument(body, url, documentPolicy);
    checkAtprotoClientDocument(body as Record<string, unknown>, metadata, policy);
    return metadata;
  };
}

/**
 * AT-2 before any fetch: an https client_id with a port is refused without fetching its document.
 * Other client_ids pass to `inner` unchanged, through `resolve`, `refresh` and the fast paths
 * (`refuseEarly`, `resolveFromMemory`) alike.
 */
export function atprotoClientIdGuard(inner: ClientResolver, policy: AtprotoClientPolicy): ClientResolver {
  const guard = (clientId: string) => {
    if (!isClientIdMetadataDocumentUrl(clientId)) return;
    try {
      checkAtprotoClientId(clientId, policy);
    } catch (error) {
      // With the status of the endpoint's invalid_client, like every CIMD refusal (401 at PAR and
      // token, RFC 6749 §5.2; the authorization endpoint shows its error page either way).
      if (!(error instanceof OAuthError)) throw error;
      throw new OAuthError('invalid_client', {
        reason: error.reason,
        ...(error.description === undefined ? {} : { description: error.description }),
      });
    }
  };
  // The fast paths of decision 0020 pass through the guard too, so the profile keeps the cheap
  // refusal of a flood (no store read before the governor says no) and the warm path of a known
  // client. AT-2 comes first in both: a client_id with a port is refused for its port, whatever
  // the governor would say, and is never answered from memory.
  const passes = (clientId: string): OAuthError | undefined => {
    try {
      guard(clientId);
      return undefined;
    } catch (error) {
      if (error instanceof OAuthError) return error;
      throw error;
    }
  };
  return {
    resolve: async (clientId) => {
      guard(clientId);
      return inner.resolve(clientId);
    },
    ...(inner.refuseEarly === undefined
      ? {}
      : {
          refuseEarly: (clientId: string) => {
            const refused = passes(clientId);
            return refused === undefined ? inner.refuseEarly!(clientId) : Promise.resolve(refused);
          },
        }),
    ...(inner.resolveFromMemory === undefined
      ? {}
      : {
          resolveFromMemory: (clientId: string) =>
            passes(clientId) === undefined ? inner.resolveFromMemory!(clientId) : undefined,
        }),
    ...(inner.refresh === undefined
      ? {}
      : {
          refresh: async (clientId: string) => {
            guard(clientId);
            return inner.refresh!(clientId);
          },
        }),
  };
}
