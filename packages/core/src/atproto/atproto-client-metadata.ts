import type { CimdClientMetadata } from '../cimd/client-metadata-document.ts';
import { OAuthError } from '../oauth-error.ts';
import { isAtprotoLoopbackRedirectUri } from './loopback-client.ts';

/**
 * The AT Protocol OAuth profile's extra rules on a client (atproto OAuth spec, "Clients" and
 * "Client ID Metadata Document", "Request Fields"): AT-2 (client_id), AT-4 (document fields) and
 * AT-8 (redirect URIs). They run after the generic CIMD validation
 * (../cimd/client-metadata-document.ts), which already enforces what both share (client_id equals
 * the URL, https URIs inside the document, no shared secrets, jwks xor jwks_uri, keys for
 * private_key_jwt, asymmetric algorithms), on the raw document as fetched, because several rules
 * are about what the document says explicitly, not what a default would make of it.
 *
 * Pure: no I/O. Every refusal is OAuthError('invalid_client', 400) with a reason `atproto_*`.
 */
export interface AtprotoClientPolicy {
  /**
   * AT-2 forbids a port in the client_id. DEVELOPMENT ONLY: accept one (test hosts on loopback run
   * on ephemeral ports). Default false.
   */
  allowClientIdPort?: boolean;
  /** AT-9: the client assertion algorithms the server accepts (ES256 in the profile). */
  clientAssertionAlgorithms?: readonly string[];
}

function refuse(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_client', { status: 400, reason, description });
}

/** The authority (host and port) of an `https://` URI, as written: before the first `/`, `?` or `#`. */
function httpsAuthority(uri: string): string {
  return uri.slice('https://'.length).split(/[/?#]/, 1)[0] ?? '';
}

/**
 * AT-2: an https client_id has no port (the loopback client is the separate exception, see
 * loopback-client.ts). Read on the raw string: `new URL()` would drop `:443` and hide it.
 */
export function checkAtprotoClientId(clientId: string, policy: AtprotoClientPolicy = {}): void {
  if (!clientId.startsWith('https://')) {
    throw refuse(
      'atproto_client_id_scheme',
      'an AT Protocol client_id is an https URL (or http://localhost)',
    );
  }
  const authority = httpsAuthority(clientId);
  const hostPort = authority.startsWith('[') ? authority.slice(authority.indexOf(']') + 1) : authority;
  if (hostPort.includes(':') && !policy.allowClientIdPort) {
    throw refuse('atproto_client_id_port', 'an AT Protocol client_id must not contain a port (AT-2)');
  }
}

/** The host of an https client_id, lowercased, as written (no port). */
function clientHost(clientId: string): string {
  const authority = httpsAuthority(clientId);
  return authority.replace(/:\d*$/, '').toLowerCase();
}

/**
 * AT-4 and AT-8 on a fetched document (`raw`, the JSON object) and what the CIMD validation made of
 * it (`metadata`).
 */
export function checkAtprotoClientDocument(
  raw: Record<string, unknown>,
  metadata: CimdClientMetadata,
  policy: AtprotoClientPolicy = {},
): void {
  const clientId = metadata.client_id;
  checkAtprotoClientId(clientId, policy);

  // AT-4: grant_types is required (RFC 7591's default is not assumed) and includes authorization_code.
  if (!Array.isArray(raw.grant_types)) {
    throw refuse('atproto_grant_types_missing', 'the document must list grant_types (AT-4)');
  }
  if (!metadata.grant_types.includes('authorization_code')) {
    throw refuse('atproto_grant_types', 'grant_types must include authorization_code (AT-4)');
  }
  // AT-4: response_types includes code (the CIMD validation keeps only what we support).
  if (!metadata.response_types.includes('code')) {
    throw refuse('atproto_response_types', 'response_types must include code (AT-4)');
  }
  // AT-4, AT-1: scope is required and declares the atproto scope.
  if (typeof raw.scope !== 'string' || !raw.scope.split(' ').includes('atproto')) {
    throw refuse('atproto_scope_missing', 'the document must declare a scope that includes atproto (AT-4)');
  }
  // AT-4: token_endpoint_auth_method stated explicitly (the reference implementation refuses a
  // missing one; RP Metadata Choices negotiation is not an AT Protocol mechanism).
  if (typeof raw.token_endpoint_auth_method !== 'string') {
    throw refuse(
      'atproto_auth_method_missing',
      'the document must state token_endpoint_auth_method (none or private_key_jwt) (AT-4)',
    );
  }
  // AT-4 MUST: DPoP-bound access tokens.
  if (raw.dpop_bound_access_tokens !== true) {
    throw refuse('atproto_dpop_bound_access_tokens', 'dpop_bound_access_tokens must be true (AT-4)');
  }
  if (metadata.token_endpoint_auth_method === 'private_key_jwt') {
    // AT-4, AT-9: the signing algorithm is declared, never none, and one the server verifies (ES256).
    const alg = raw.token_endpoint_auth_signing_alg;
    if (typeof alg !== 'string' || alg === 'none') {
      throw refuse(
        'atproto_auth_signing_alg',
        'a private_key_jwt client must declare token_endpoint_auth_signing_alg (ES256 is recommended) (AT-4)',
      );
    }
    const accepted = policy.clientAssertionAlgorithms;
    if (accepted !== undefined && !accepted.includes(alg)) {
      throw refuse(
        'atproto_auth_signing_alg',
        `token_endpoint_auth_signing_alg ${alg.slice(0, 32)} is not accepted here; use ${accepted.join(', ')} (AT-9)`,
      );
    }
  }
  // AT-4: client_uri, when given, is on the client_id's host (a warning in plain CIMD).
  const host = clientHost(clientId);
  if (typeof raw.client_uri === 'string') {
    const uriHost = URL.canParse(raw.client_uri) ? new URL(raw.client_uri).hostname : '';
    if (uriHost !== host) {
      throw refuse('atproto_client_uri_host', `client_uri must be on the client_id host ${host} (AT-4)`);
    }
  }
  const applicationType = metadata.application_type ?? 'web';
  for (const uri of metadata.redirect_uris) {
    checkAtprotoRedirectUri(uri, clientId, applicationType);
  }
}

/**
 * AT-8: what a redirect URI of an atproto client may be, by application_type.
 * - https: the default port is never written (`https://app.example:443/` is refused, on the raw
 *   string); a native client's https redirect shares the client_id origin.
 * - http: only the loopback IP literals 127.0.0.1 and [::1] (development).
 * - a private-use scheme (native only): the client_id host reversed, written `scheme:/path` with a
 *   single slash (RFC 8252 §7.1).
 */
export function checkAtprotoRedirectUri(
  uri: string,
  clientId: string,
  applicationType: 'web' | 'native',
): void {
  const bad = (why: string) =>
    refuse('atproto_redirect_uri', `redirect_uri ${uri.slice(0, 200)}: ${why} (AT-8)`);
  if (uri.startsWith('https://')) {
    const authority = httpsAuthority(uri);
    if (/:443$/.test(authority) || /:$/.test(authority)) throw bad('must not spell out the default port');
    if (applicationType === 'native' && clientId.startsWith('https://')) {
      const origin = URL.canParse(clientId) ? new URL(clientId).origin : '';
      if (!URL.canParse(uri) || new URL(uri).origin !== origin) {
        throw bad(`a native client's https redirect must be on the client_id origin ${origin}`);
      }
    }
    return;
  }
  if (uri.startsWith('http:')) {
    if (!isAtprotoLoopbackRedirectUri(uri)) throw bad('http is allowed only on 127.0.0.1 or [::1]');
    return;
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1];
  if (scheme === undefined) throw bad('is not an absolute URI');
  if (applicationType !== 'native') throw bad('a private-use scheme is for native clients only');
  const reversed = clientId.startsWith('https://') ? clientHost(clientId).split('.').reverse().join('.') : '';
  if (scheme.toLowerCase() !== reversed) {
    throw bad(`the private-use scheme must be the client_id host reversed (${reversed})`);
  }
  const afterScheme = uri.slice(scheme.length + 1);
  if (!afterScheme.startsWith('/') || afterScheme.startsWith('//')) {
    throw bad(`must be written ${reversed}:/path, with a single slash`);
  }
}
