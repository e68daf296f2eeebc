/**
 * What a governance rule applies to (issue #13): proof of domain control says who a client is; a
 * rule says what the operator decided about it. A selector is written the way operators type it,
 * on the command line, in the configuration file and in the admin API:
 *
 * | written                                   | matches                                                      |
 * |-------------------------------------------|--------------------------------------------------------------|
 * | `https://app.example/client.json`         | exactly that client_id, compared as a raw string (CIMD-URL-8) |
 * | `https://chatgpt.com/oauth/codex/**`    | a client ID URL pattern: `*` is one path segment, `**` any remainder |
 * | `host:app.example`                        | a client whose client_id URL is on that host                 |
 * | `domain:example.com`                      | that host and every subdomain of it                          |
 * | `software:<software_id>`                  | dynamic registrations with that `software_id`                |
 * | `redirect-host:<name>`                    | clients with a redirect URI on that host                     |
 * | `kind:static` / `dcr` / `cimd` / `loopback` | every client of that kind                                  |
 * | `kind:workload`                           | every workload identity client (SEP-1933, decision 0043)     |
 * | `id:<client_id>`                          | exactly that client_id, whatever it looks like               |
 *
 * (One vendor presents a client_id per MCP server, `https://chatgpt.com/oauth/codex/<id>/client.json`:
 * the pattern with `*` in place of `<id>` approves them all and nothing else.) Anything else is an
 * exact client_id. Parsing is pure and strict: a selector that cannot match
 * anything (an empty host, a pattern with a wildcard in its authority) is refused with a reason,
 * so a typo in a block rule is an error, never a rule that silently matches nothing.
 */
import { OAuthError } from '../oauth-error.ts';

export const CLIENT_KINDS = ['static', 'dcr', 'cimd', 'loopback', 'workload'] as const;
export type GovernedClientKind = (typeof CLIENT_KINDS)[number];

export type ClientSelector =
  | { type: 'client_id'; clientId: string }
  | { type: 'url_pattern'; pattern: string; origin: string; segments: readonly string[] }
  | { type: 'host'; host: string }
  | { type: 'domain'; domain: string }
  | { type: 'software'; softwareId: string }
  | { type: 'redirect_host'; host: string }
  | { type: 'kind'; kind: GovernedClientKind };

const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const PREFIXES = ['id:', 'host:', 'domain:', 'software:', 'redirect-host:', 'kind:'] as const;

/** Parses a selector as written; throws an `invalid_request` OAuthError with reason `invalid_selector`. */
export function parseClientSelector(written: string): ClientSelector {
  if (written.length === 0 || written.length > 2048) invalid(written, 'must be 1 to 2048 characters');
  const prefix = PREFIXES.find((candidate) => written.startsWith(candidate));
  const value = prefix === undefined ? written : written.slice(prefix.length);
  switch (prefix) {
    case 'id:':
      if (value === '') invalid(written, 'names no client_id');
      return { type: 'client_id', clientId: value };
    case 'host:':
      return { type: 'host', host: hostName(written, value) };
    case 'domain:':
      return { type: 'domain', domain: hostName(written, value) };
    case 'redirect-host:':
      return { type: 'redirect_host', host: hostName(written, value) };
    case 'software:':
      if (value === '') invalid(written, 'names no software_id');
      return { type: 'software', softwareId: value };
    case 'kind:':
      if (!(CLIENT_KINDS as readonly string[]).includes(value))
        invalid(written, `kind must be one of ${CLIENT_KINDS.join(', ')}`);
      return { type: 'kind', kind: value as GovernedClientKind };
    default:
      return written.startsWith('https://') && written.includes('*')
        ? urlPattern(written)
        : { type: 'client_id', clientId: written };
  }
}

/** The selector written back the way `parseClientSelector` reads it (one spelling per selector). */
export function formatClientSelector(selector: ClientSelector): string {
  switch (selector.type) {
    case 'client_id': {
      const { clientId } = selector;
      const plain = parseClientSelector(clientId);
      return plain.type === 'client_id' && plain.clientId === clientId ? clientId : `id:${clientId}`;
    }
    case 'url_pattern':
      return selector.pattern;
    case 'host':
      return `host:${selector.host}`;
    case 'domain':
      return `domain:${selector.domain}`;
    case 'software':
      return `software:${selector.softwareId}`;
    case 'redirect_host':
      return `redirect-host:${selector.host}`;
    case 'kind':
      return `kind:${selector.kind}`;
  }
}

/**
 * `https://<authority>/<segments>`: the authority is literal (wildcards in host names are what
 * `domain:` is for), `*` stands alone as a segment, and `**` only as the last one.
 */
function urlPattern(written: string): ClientSelector {
  const rest = written.slice('https://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) invalid(written, 'a client ID URL pattern needs a host and a path');
  const authority = rest.slice(0, slash);
  if (authority.includes('*')) invalid(written, 'the host of a pattern is literal: use domain:<name>');
  if (/[?#]/.test(rest)) invalid(written, 'a pattern matches paths only, without query or fragment');
  const segments = rest.slice(slash + 1).split('/');
  segments.forEach((segment, index) => {
    if (segment.includes('*') && segment !== '*' && segment !== '**')
      invalid(written, `* must be a whole path segment, not part of "${segment}"`);
    if (segment === '**' && index !== segments.length - 1) invalid(written, '** must be the last segment');
  });
  return { type: 'url_pattern', pattern: written, origin: `https://${authority}`, segments };
}

function hostName(written: string, value: string): string {
  const host = value.toLowerCase();
  if (!HOST_NAME.test(host)) invalid(written, 'is not a host name (ASCII letters, digits, dots, hyphens)');
  return host;
}

function invalid(written: string, problem: string): never {
  throw new OAuthError('invalid_request', {
    reason: 'invalid_selector',
    description: `selector ${JSON.stringify(written.slice(0, 200))} ${problem}`,
  });
}
