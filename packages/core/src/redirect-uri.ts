import { OAuthError } from './oauth-error.ts';

/**
 * Redirect URI rules. OAuth 2.1 §2.3.1 / RFC 9700 §4.1.3 (CIMD-REDIR-1, MCP-13): a redirect_uri is
 * compared with the registered ones as raw strings, exactly. The single exception is RFC 8252 §7.3
 * (CIMD-REDIR-2): an http loopback redirect may use any port at request time, because native apps
 * bind an ephemeral port. Real clients publish `http://localhost/callback` as well as IP literals,
 * so `localhost` gets the same exception (checklist item 1, docs/requirements.md). Scheme, host, path and query
 * must still match exactly; only the port is ignored.
 *
 * The loopback form is read from the raw string with a strict pattern, never with `new URL()`,
 * which would normalise dot segments, default ports and case before we compare (checklist item 3).
 */
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?((?:[/?][^#]*)?)$/;

interface LoopbackParts {
  host: string;
  port: string | undefined;
  rest: string;
}

export function loopbackParts(uri: string): LoopbackParts | undefined {
  const match = LOOPBACK_HTTP.exec(uri);
  if (match === null) return undefined;
  const port = match[2];
  if (port !== undefined && Number(port) > 65535) return undefined;
  return { host: match[1]!, port, rest: match[3] ?? '' };
}

export function isLoopbackRedirectUri(uri: string): boolean {
  return loopbackParts(uri) !== undefined;
}

export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const want = loopbackParts(registered);
  if (want === undefined) return false;
  const got = loopbackParts(requested);
  return got !== undefined && got.host === want.host && got.rest === want.rest;
}

/** The registered redirect URI a request's redirect_uri matches, or undefined. */
export function findRegisteredRedirectUri(
  registered: readonly string[],
  requested: string,
): string | undefined {
  return registered.find((candidate) => redirectUriMatches(candidate, requested));
}

/**
 * Whether a redirect URI may be registered at all (RFC 7591 §5 / DCR-SEC-1, MCP-12, OAuth 2.1
 * §2.3.1): an absolute URI without a fragment that is https, http on loopback, or a private-use
 * (reverse-domain) scheme for native apps (RFC 8252 §7.1). `javascript:`, `data:` and similar are
 * refused, as is http to anything but loopback.
 */
export function checkRedirectUriSyntax(uri: string): void {
  if (uri.length > 2048) refuse('redirect_uri_too_long', 'redirect_uri is too long');
  // Checked on the raw string: the URL parser silently drops tab, CR and LF, so the URI that was
  // registered would not be the one that is compared (issue #18 finding 6). C0, DEL and C1.
  if (CONTROL_CHARACTER.test(uri)) {
    refuse('redirect_uri_control_character', 'redirect_uri must not contain control characters');
  }
  if (uri.includes('#')) refuse('redirect_uri_fragment', 'redirect_uri must not contain a fragment');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) refuse('redirect_uri_not_absolute', 'redirect_uri must be absolute');
  const authority = rawAuthority(uri, scheme);
  // https and http are hierarchical (RFC 9110 §4.2): `https:evil.example`, `https:/evil.example`
  // and `https:\\evil.example` are repaired by the URL parser into some host, but the string
  // registered names none, and exact string matching must compare what was meant.
  if ((scheme === 'https' || scheme === 'http') && (authority === undefined || authority === '')) {
    refuse('redirect_uri_no_authority', 'an http(s) redirect_uri must be scheme://host/...');
  }
  // Hosts in ASCII (IDNA A-labels, `xn--`): the parser would turn a raw Unicode host into punycode,
  // so the registered string and what a browser redirects to would differ, and look-alike hosts
  // would reach the consent page in their Unicode form.
  if (authority !== undefined && NON_ASCII.test(authority)) {
    refuse('redirect_uri_host_not_ascii', 'the redirect_uri host must be ASCII (punycode, xn--)');
  }
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    refuse('redirect_uri_malformed', 'redirect_uri is not a valid URI');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    refuse('redirect_uri_userinfo', 'redirect_uri must not contain user information');
  }
  if (scheme === 'https') return;
  if (scheme === 'http') {
    if (!isLoopbackRedirectUri(uri)) {
      refuse('redirect_uri_http_not_loopback', 'http redirect_uri is allowed only for loopback hosts');
    }
    return;
  }
  if (FORBIDDEN_SCHEMES.has(scheme))
    refuse('redirect_uri_scheme', `redirect_uri scheme ${scheme} is not allowed`);
  // RFC 8252 §7.1: private-use schemes are reverse domain names, so they contain a dot.
  if (!scheme.includes('.')) {
    refuse('redirect_uri_scheme', 'a private-use redirect_uri scheme must be a reverse domain name');
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const NON_ASCII = /[^\x20-\x7e]/;

/**
 * The authority of `scheme://authority/...` as written (up to the first `/`, `?`, `#` or `\`, which
 * the URL parser also ends a special scheme's host at), or undefined when the URI does not start
 * with `scheme://`. RFC 8252 §7.1 private-use redirects (`com.example.app:/cb`) have none.
 */
export function rawAuthority(uri: string, scheme: string): string | undefined {
  const rest = uri.slice(scheme.length + 1);
  if (!rest.startsWith('//')) return undefined;
  return /^[^/?#\\]*/.exec(rest.slice(2))?.[0];
}

function refuse(reason: string, description: string): never {
  throw new OAuthError('invalid_redirect_uri', { reason, description });
}

const FORBIDDEN_SCHEMES = new Set([
  'javascript',
  'data',
  'file',
  'vbscript',
  'blob',
  'about',
  'ws',
  'wss',
  'ftp',
]);

/** Appends OAuth response parameters to a redirect URI, keeping its own query (RFC 6749 §3.1.2). */
export function withResponseParameters(
  redirectUri: string,
  parameters: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined) url.searchParams.append(name, value);
  }
  return url.href;
}
