/**
 * Whether a selector (client-selector.ts) applies to a client, and how specific it is: when several
 * rules apply, the most specific decides (issue #13). Pure: the facts about the client come in a
 * `GovernedClient`, which the server builds from what it knows before and after a document fetch.
 */
import type { ClientSelector, GovernedClientKind } from './client-selector.ts';

/** What governance may look at; for a CIMD client before its fetch, only the first three. */
export interface GovernedClient {
  /** The client_id exactly as presented (CIMD-URL-8: compared as a raw string). */
  clientId: string;
  kind: GovernedClientKind;
  /** The client_id URL's host, lowercase, for CIMD clients; undefined for other kinds. */
  host?: string | undefined;
  /** RFC 7591 `software_id` of a dynamic registration. */
  softwareId?: string | undefined;
  /** The hosts of the registered redirect URIs, lowercase; empty when not known yet. */
  redirectHosts?: readonly string[] | undefined;
  /**
   * For an installation registration, the client_id of the shared (recognised) registration it
   * belongs to: a `client_id` selector naming that record selects its installations too, so a rule
   * on the software's one entry governs every copy (decision 0046).
   */
  sharedClientId?: string | undefined;
}

export function selectorMatches(selector: ClientSelector, client: GovernedClient): boolean {
  switch (selector.type) {
    case 'client_id':
      return client.clientId === selector.clientId || client.sharedClientId === selector.clientId;
    case 'url_pattern':
      return urlPatternMatches(selector, client.clientId);
    case 'host':
      return client.host === selector.host;
    case 'domain':
      return client.host !== undefined && isWithinDomain(client.host, selector.domain);
    case 'software':
      return client.softwareId === selector.softwareId;
    case 'redirect_host':
      return client.redirectHosts?.includes(selector.host) ?? false;
    case 'kind':
      return client.kind === selector.kind;
  }
}

/**
 * The precedence, most specific first: an exact client_id; a URL pattern (more literal segments
 * first, then `*` before `**`); `host:`; `domain:` (a longer domain first); `software:`;
 * `redirect-host:`; `kind:`. Returned as a tuple compared element by element, greater = more
 * specific.
 */
export function selectorSpecificity(selector: ClientSelector): readonly number[] {
  switch (selector.type) {
    case 'client_id':
      return [7];
    case 'url_pattern': {
      const literal = selector.segments.filter((segment) => segment !== '*' && segment !== '**').length;
      return [6, literal, selector.segments.includes('**') ? 0 : 1];
    }
    case 'host':
      return [5];
    case 'domain':
      return [4, selector.domain.split('.').length];
    case 'software':
      return [3];
    case 'redirect_host':
      return [2];
    case 'kind':
      return [1];
  }
}

export function compareSpecificity(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function isWithinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * On the raw client_id: the origin literally, then segment by segment. `*` is one non-empty
 * segment; `**` one or more of whatever remains. A client_id with a query or fragment never
 * matches a pattern (CIMD-URL-5, CIMD-URL-6): approve such a client by its exact id.
 */
function urlPatternMatches(
  selector: Extract<ClientSelector, { type: 'url_pattern' }>,
  clientId: string,
): boolean {
  const prefix = `${selector.origin}/`;
  if (!clientId.startsWith(prefix) || /[?#]/.test(clientId)) return false;
  const segments = clientId.slice(prefix.length).split('/');
  const pattern = selector.segments;
  for (let index = 0; index < pattern.length; index++) {
    const want = pattern[index]!;
    if (want === '**') return segments.length > index && segments.slice(index).join('/') !== '';
    const got = segments[index];
    if (got === undefined) return false;
    if (want === '*' ? got === '' : got !== want) return false;
  }
  return segments.length === pattern.length;
}
