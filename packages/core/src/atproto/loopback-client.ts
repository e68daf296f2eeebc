import type { CimdClientMetadata } from '../cimd/client-metadata-document.ts';
import { OAuthError } from '../oauth-error.ts';
import { checkRedirectUriSyntax } from '../redirect-uri.ts';
import { parseScope } from '../scope.ts';

/**
 * The AT Protocol loopback development client (atproto OAuth "Localhost Client Development", AT-5).
 *
 * A client_id of exactly `http://localhost` (optionally followed by `/`, then an optional query with
 * repeatable `redirect_uri` and a single `scope`) names a public client whose metadata document is
 * never fetched: the authorization server builds it from the client_id itself. Everything is read
 * from the raw string (no `new URL()` normalisation, checklist item 3): `http://localhost:8080`,
 * `http://localhost/path`, `http://127.0.0.1` and `http://LOCALHOST` are not this client.
 *
 * This is the only sanctioned "document built from request input" (checklist item 10): it is safe
 * because the client it describes is public, can only redirect to the loopback interface of the
 * user's own machine, and the consent page says so.
 */
export const ATPROTO_LOOPBACK_CLIENT_ID = 'http://localhost';

/** AT-5: redirect URIs when the client_id names none. */
export const ATPROTO_LOOPBACK_DEFAULT_REDIRECT_URIS: readonly string[] = [
  'http://127.0.0.1/',
  'http://[::1]/',
];

/** AT-5: scope when the client_id names none. */
export const ATPROTO_LOOPBACK_DEFAULT_SCOPE = 'atproto';

/** The `client_name` the AS chooses for the virtual document (AT-5). */
export const ATPROTO_LOOPBACK_CLIENT_NAME = 'Loopback development client';

/**
 * AT-8 "Dev": a loopback redirect is an http URI on an IP literal, 127.0.0.1 or [::1], any port, a
 * path. `localhost` is refused (RFC 8252 §8.3: NOT RECOMMENDED; the atproto reference refuses it).
 */
const LOOPBACK_IP_REDIRECT = /^http:\/\/(?:127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(?:[/?][^#]*)?$/;

/**
 * Whether a client_id is meant as the loopback client: `http://localhost` followed by nothing, a
 * `/`, or a `?`. Anything else starting with `http://localhost` (a port, a path, `.evil.com`) is
 * not, and falls through to the other resolvers, which refuse it.
 */
export function isAtprotoLoopbackClientId(clientId: string): boolean {
  if (!clientId.startsWith(ATPROTO_LOOPBACK_CLIENT_ID)) return false;
  const next = clientId.charAt(ATPROTO_LOOPBACK_CLIENT_ID.length);
  return next === '' || next === '/' || next === '?';
}

export function isAtprotoLoopbackRedirectUri(uri: string): boolean {
  const match = LOOPBACK_IP_REDIRECT.exec(uri);
  if (match === null) return false;
  const port = match[1];
  return port === undefined || (Number(port) > 0 && Number(port) <= 65535);
}

function refuse(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_client', { status: 400, reason, description });
}

/**
 * The virtual metadata document of a loopback client_id (AT-5): public (`none`), native, DPoP-bound,
 * `code` with refresh, the redirect URIs and scope from the query (or the defaults). Throws
 * OAuthError('invalid_client', reason `atproto_loopback_*`) for a client_id that is not valid.
 */
export function atprotoLoopbackClientMetadata(clientId: string): CimdClientMetadata {
  if (!isAtprotoLoopbackClientId(clientId)) {
    throw refuse('atproto_loopback_client_id', `client_id must be exactly ${ATPROTO_LOOPBACK_CLIENT_ID}`);
  }
  if (clientId.includes('#')) {
    throw refuse('atproto_loopback_fragment', 'the loopback client_id must not contain a fragment');
  }
  let rest = clientId.slice(ATPROTO_LOOPBACK_CLIENT_ID.length);
  if (rest.startsWith('/')) rest = rest.slice(1);
  if (rest !== '' && !rest.startsWith('?')) {
    throw refuse('atproto_loopback_path', 'the loopback client_id must not have a path');
  }
  const query = rest.slice(1);
  if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/.test(query)) {
    throw refuse(
      'atproto_loopback_query',
      'the loopback client_id query has characters a URI may not contain',
    );
  }
  let scope: string | undefined;
  const redirectUris: string[] = [];
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'scope') {
      if (scope !== undefined) {
        throw refuse('atproto_loopback_scope', 'the loopback client_id has more than one scope parameter');
      }
      scope = value;
    } else if (name === 'redirect_uri') {
      if (!isAtprotoLoopbackRedirectUri(value)) {
        throw refuse(
          'atproto_loopback_redirect_uri',
          `redirect_uri ${value.slice(0, 200)} must be http://127.0.0.1 or http://[::1] (any port, a path)`,
        );
      }
      try {
        checkRedirectUriSyntax(value);
      } catch {
        throw refuse(
          'atproto_loopback_redirect_uri',
          `redirect_uri ${value.slice(0, 200)} is not a valid URI`,
        );
      }
      redirectUris.push(value);
    } else {
      throw refuse(
        'atproto_loopback_query',
        `unexpected query parameter ${name.slice(0, 64)} in the loopback client_id`,
      );
    }
  }
  const resolvedScope = scope ?? ATPROTO_LOOPBACK_DEFAULT_SCOPE;
  let tokens: string[];
  try {
    tokens = parseScope(resolvedScope);
  } catch {
    throw refuse('atproto_loopback_scope', 'the loopback client_id scope is malformed');
  }
  // AT-1, AT-4: every atproto client declares the atproto scope.
  if (!tokens.includes('atproto')) {
    throw refuse('atproto_loopback_scope', 'the loopback client_id scope must include atproto');
  }
  return {
    client_id: clientId,
    client_name: ATPROTO_LOOPBACK_CLIENT_NAME,
    redirect_uris: redirectUris.length > 0 ? redirectUris : [...ATPROTO_LOOPBACK_DEFAULT_REDIRECT_URIS],
    scope: tokens.join(' '),
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    dpop_bound_access_tokens: true,
  };
}
