import { isOAuthError } from '../oauth-error.ts';
import { checkRedirectUriSyntax, isLoopbackRedirectUri } from '../redirect-uri.ts';
import type { ClientMetadataDocumentPolicy } from './client-metadata-document-policy.ts';
import type { Report } from './finding.ts';

/**
 * CIMD-REDIR-1: every redirect URI must be registrable at all (absolute, no fragment, https,
 * http only on loopback, private-use schemes as reverse domain names; never javascript:/data:).
 * Returns the string members of `redirect_uris` (the others are the schema's to report).
 */
export function checkRedirectUris(value: unknown, fail: Report): string[] {
  const redirectUris = Array.isArray(value)
    ? value.filter((uri): uri is string => typeof uri === 'string')
    : [];
  for (const uri of redirectUris) {
    try {
      checkRedirectUriSyntax(uri);
    } catch (caught) {
      if (!isOAuthError(caught)) throw caught;
      fail(
        'CIMD-REDIR-1',
        `cimd_${caught.reason}`,
        `redirect_uris: "${uri}": ${caught.description ?? caught.reason}`,
      );
    }
  }
  return redirectUris;
}

/** Redirect warnings for the consent screen and the operator (CIMD-UI-3, CIMD-REDIR-4). */
export function checkRedirectHosts(
  redirectUris: readonly string[],
  clientIdUrl: string | undefined,
  clientHost: string | undefined,
  policy: ClientMetadataDocumentPolicy,
  fail: Report,
  warn: Report,
): void {
  if (redirectUris.length > 0 && redirectUris.every(isLoopbackRedirectUri)) {
    warn(
      'CIMD-UI-3',
      'cimd_redirect_all_loopback',
      'every redirect_uri is loopback: any local program can claim to be this client; consent shows a warning',
    );
  }
  if (clientIdUrl !== undefined && clientHost !== undefined) {
    checkRedirectOrigins(redirectUris, clientIdUrl, clientHost, policy, fail, warn);
  }
}

/** CIMD-REDIR-4 (MAY): redirect URIs on another origin than the client_id. */
function checkRedirectOrigins(
  redirectUris: readonly string[],
  clientIdUrl: string,
  clientHost: string,
  policy: ClientMetadataDocumentPolicy,
  fail: Report,
  warn: Report,
): void {
  const host = clientHost.toLowerCase();
  const origin = new URL(clientIdUrl).origin;
  const reversed = host.split('.').reverse().join('.');
  for (const uri of redirectUris) {
    if (isLoopbackRedirectUri(uri) || !URL.canParse(uri)) continue;
    const parsed = new URL(uri);
    const scheme = parsed.protocol.slice(0, -1);
    if (scheme === 'https') {
      if (policy.requireSameOriginRedirects && parsed.origin !== origin) {
        fail(
          'CIMD-REDIR-4',
          'cimd_redirect_other_origin',
          `redirect_uri ${uri} is not on the client_id origin ${origin}`,
        );
      } else if (parsed.hostname !== host) {
        warn(
          'CIMD-REDIR-4',
          'cimd_redirect_other_host',
          `redirect_uri host ${parsed.hostname} differs from the client_id host ${host}`,
        );
      }
    } else if (scheme !== 'http') {
      // Private-use scheme (RFC 8252 §7.1): expected to be the client_id host reversed.
      if (scheme === reversed) continue;
      if (policy.requireSameOriginRedirects) {
        fail(
          'CIMD-REDIR-4',
          'cimd_redirect_other_origin',
          `redirect_uri scheme ${scheme} is not ${reversed}`,
        );
      } else {
        warn(
          'CIMD-REDIR-4',
          'cimd_redirect_other_host',
          `redirect_uri scheme ${scheme} is not the client_id host reversed (${reversed})`,
        );
      }
    }
  }
}
