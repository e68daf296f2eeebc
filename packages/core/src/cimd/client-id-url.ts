import { error, type Finding, throwFirstError, warning } from './finding.ts';

/**
 * Client Identifier URL, draft-ietf-oauth-client-id-metadata-document-02 §3 (CIMD-URL-1…9).
 *
 * Every rule runs on the RAW client_id string, before anything parses it. WHATWG `new URL()`
 * removes `.`/`..` segments (also `%2e`), drops the default port, lowercases scheme and host,
 * turns `\` into `/` and reads `https://2130706433/` as 127.0.0.1 (checklist item 3), so a check on
 * the parsed form would pass URLs the draft forbids and compare the wrong string. After these
 * checks, identity is plain string equality (CIMD-URL-8): `https://x/c` and `https://x:443/c` are
 * two different clients. Nothing here is I/O; whether the host resolves to a public address is the
 * fetcher's job (CIMD-FETCH-5).
 */
export interface ClientIdUrlPolicy {
  /**
   * CIMD-URL-6 is a SHOULD NOT. Default false: refused, because a query invites documents built
   * from request input (draft #89/#91, checklist item 10) and atproto refuses it too. When true,
   * accepted with a warning.
   */
  allowQuery?: boolean;
  /**
   * Default false: IPv4 and IPv6 literal hosts are refused. A client identity should be a domain
   * name: that is what the consent screen shows (CIMD-UI-2), what domain allowlists and trust
   * decisions key on (CIMD-UI-4), and what a public CA certifies; cloud IP addresses are recycled
   * between tenants, so "control of the address" proves little. atproto refuses them as well.
   */
  allowIpLiterals?: boolean;
}

/** Gatehouse's own cap, the same as for redirect URIs; the draft sets none. */
export const CLIENT_ID_URL_MAX_LENGTH = 2048;

export interface ClientIdUrlParts {
  /** The host exactly as written (not lowercased). */
  host: string;
  /** The port digits as written, or undefined when absent. */
  port: string | undefined;
  /** The path, starting with `/`. */
  path: string;
  /** The query without `?`, or undefined when there is no `?`. */
  query: string | undefined;
}

/**
 * CIMD-CO-2: only an `https://` prefix makes a client_id a candidate for fetching, and the check
 * is case-sensitive (see CIMD-URL-1 below). It is a routing hint, not proof of origin: Gatehouse
 * never issues https-looking client_ids itself (CIMD-CO-1) and records an origin flag per client.
 */
export function isClientIdMetadataDocumentUrl(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/** All findings for a client ID URL, errors and warnings, in rule order. Never throws. */
export function lintClientIdUrl(raw: string, policy: ClientIdUrlPolicy = {}): Finding[] {
  const findings: Finding[] = [];
  examine(raw, policy, findings);
  return findings;
}

/**
 * Checks a client ID URL before it is fetched. Throws OAuthError('invalid_client', 400,
 * reason `cimd_url_*`) for the first violated rule; returns the warnings otherwise.
 */
export function checkClientIdUrl(raw: string, policy: ClientIdUrlPolicy = {}): { warnings: Finding[] } {
  const findings = lintClientIdUrl(raw, policy);
  throwFirstError(findings);
  return { warnings: findings };
}

/**
 * Splits a client ID URL that passed the rules into its parts, from the raw string. Undefined when
 * the string is not a valid client ID URL under `policy`.
 */
export function clientIdUrlParts(raw: string, policy: ClientIdUrlPolicy = {}): ClientIdUrlParts | undefined {
  const findings: Finding[] = [];
  const parts = examine(raw, policy, findings);
  return findings.some((finding) => finding.level === 'error') ? undefined : parts;
}

/**
 * RFC 3986 §2: the only characters a URI may contain are unreserved, reserved and `%`. This also
 * refuses whitespace, control characters (CR/LF/TAB, which WHATWG silently strips), `\` (which
 * WHATWG reads as `/`), and non-ASCII: an internationalised host must be written in its A-label
 * (punycode) form, so the string shown and the string compared are the same.
 */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const PERCENT_ENCODING = /%(?![0-9A-Fa-f]{2})/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function examine(raw: string, policy: ClientIdUrlPolicy, findings: Finding[]): ClientIdUrlParts | undefined {
  const refuse = (id: string, rule: string, message: string): undefined => {
    findings.push(error(id, `cimd_url_${rule}`, message));
    return undefined;
  };

  if (raw.length === 0) return refuse('CIMD-URL-1', 'empty', 'client_id is empty');
  if (raw.length > CLIENT_ID_URL_MAX_LENGTH) {
    return refuse(
      'GH-URL-LENGTH',
      'too_long',
      `client_id is longer than ${CLIENT_ID_URL_MAX_LENGTH} characters`,
    );
  }
  if (!URI_CHARACTERS.test(raw)) {
    return refuse(
      'GH-URL-CHARACTERS',
      'characters',
      'client_id contains whitespace, control, non-ASCII or other characters a URI may not contain',
    );
  }
  if (PERCENT_ENCODING.test(raw)) {
    return refuse(
      'GH-URL-CHARACTERS',
      'percent_encoding',
      'client_id has a % not followed by two hex digits',
    );
  }

  // CIMD-URL-1 MUST: https only. Compared case-sensitively as lowercase `https://`: RFC 3986 calls
  // the scheme case-insensitive, but identity is simple string comparison (CIMD-URL-8), so
  // `HTTPS://x/c` would be a second spelling of a client that fetches the same document. One
  // canonical spelling avoids that; no real client publishes an uppercase scheme.
  if (!raw.startsWith('https://')) {
    return refuse('CIMD-URL-1', 'scheme', 'client_id must be an https URL (lowercase "https://")');
  }

  // CIMD-URL-5 MUST NOT: a fragment. Checked on the whole string: `#` is never allowed.
  if (raw.includes('#')) refuse('CIMD-URL-5', 'fragment', 'client_id must not contain a fragment');

  const afterScheme = raw.slice('https://'.length).split('#')[0] ?? '';
  const authorityEnd = afterScheme.search(/[/?]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const rest = authorityEnd === -1 ? '' : afterScheme.slice(authorityEnd);

  // CIMD-URL-2 MUST NOT: userinfo (`user:pass@`), which also serves to disguise the real host.
  if (authority.includes('@')) {
    return refuse('CIMD-URL-2', 'userinfo', 'client_id must not contain user information (user@host)');
  }

  const hostPort = splitHostPort(authority);
  if (hostPort === undefined) return refuse('GH-URL-HOST', 'host', 'client_id has a malformed host or port');
  const { host, port } = hostPort;
  if (host === '') return refuse('GH-URL-HOST', 'host', 'client_id has an empty host');

  // CIMD-URL-7 MAY: a port is allowed, but must be a real one. `:443` is kept as written and makes
  // a different client_id from the same URL without it (CIMD-URL-8).
  if (
    port !== undefined &&
    (port === '' || !/^\d{1,5}$/.test(port) || Number(port) > 65535 || Number(port) === 0)
  ) {
    return refuse('GH-URL-HOST', 'port', 'client_id has an invalid port');
  }

  // Local policy: a DNS name, not an address (see ClientIdUrlPolicy.allowIpLiterals for why).
  const ipLiteral = host.startsWith('[') || looksLikeIpv4(host);
  if (ipLiteral) {
    if (!policy.allowIpLiterals) {
      return refuse(
        'GH-URL-IP-LITERAL',
        'ip_literal',
        'client_id host must be a domain name, not an IP address',
      );
    }
    if (host.startsWith('[') && !/^\[[0-9A-Fa-f:.]+\]$/.test(host)) {
      return refuse('GH-URL-HOST', 'host', 'client_id has a malformed IPv6 literal');
    }
  } else if (!isDnsName(host)) {
    return refuse(
      'GH-URL-HOST',
      'host',
      'client_id host must be a DNS name: labels of letters, digits and hyphens, no trailing dot',
    );
  }
  if (!ipLiteral && host !== host.toLowerCase()) {
    findings.push(
      warning(
        'CIMD-URL-8',
        'cimd_url_host_case',
        'client_id host has uppercase letters; client IDs compare as exact strings, so any other spelling is a different client',
      ),
    );
  }

  const queryStart = rest.indexOf('?');
  const path = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const query = queryStart === -1 ? undefined : rest.slice(queryStart + 1);

  // CIMD-URL-3 MUST: a path. `https://example.com` has none and is invalid.
  if (path === '')
    return refuse('CIMD-URL-3', 'path', 'client_id must have a path, e.g. https://example.com/client.json');
  // CIMD-URL-3 NOT RECOMMENDED: the path `/`, which collides with the site's root content and can
  // be mistaken for an issuer identifier (mix-up, draft #76/#86). Allowed, but flagged.
  if (path === '/') {
    findings.push(
      warning(
        'CIMD-URL-3',
        'cimd_url_root_path',
        'client_id path is "/"; this is NOT RECOMMENDED (collides with site content and issuer identifiers)',
      ),
    );
  }

  // CIMD-URL-4 MUST NOT: `.` or `..` segments, also percent-encoded (`%2e`, `%2E%2e`…), because
  // every URL parser on the way (ours, the fetcher's, a proxy's) would resolve them away.
  for (const segment of path.split('/')) {
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '.' || decoded === '..') {
      refuse('CIMD-URL-4', 'dot_segment', 'client_id must not contain "." or ".." path segments');
      break;
    }
  }

  // CIMD-URL-6 SHOULD NOT: a query. Refused unless local policy allows it.
  if (query !== undefined) {
    if (policy.allowQuery) {
      findings.push(
        warning('CIMD-URL-6', 'cimd_url_query', 'client_id has a query component; this is NOT RECOMMENDED'),
      );
    } else {
      refuse('CIMD-URL-6', 'query', 'client_id must not contain a query component');
    }
  }

  if (findings.some((finding) => finding.level === 'error')) return undefined;
  // Belt and braces: whatever passed the raw rules must also be a URL the fetcher can parse.
  if (!URL.canParse(raw)) return refuse('GH-URL-HOST', 'malformed', 'client_id is not a valid URL');
  return { host, port, path, query };
}

function splitHostPort(authority: string): { host: string; port: string | undefined } | undefined {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) return undefined;
    const after = authority.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return undefined;
    return { host: authority.slice(0, close + 1), port: after === '' ? undefined : after.slice(1) };
  }
  const colon = authority.indexOf(':');
  if (colon === -1) return { host: authority, port: undefined };
  if (authority.indexOf(':', colon + 1) !== -1) return undefined;
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/**
 * What WHATWG would read as an IPv4 address: the last label is numeric (decimal, `0x` hex or octal),
 * so `https://127.0.0.1/`, `https://2130706433/` and `https://0x7f.1/` are all address literals.
 */
function looksLikeIpv4(host: string): boolean {
  const last = host.split('.').at(-1) ?? '';
  return /^(?:0x[0-9a-f]*|\d+)$/i.test(last);
}

function isDnsName(host: string): boolean {
  if (host.length > 253) return false;
  return host.split('.').every((label) => DNS_LABEL.test(label));
}
