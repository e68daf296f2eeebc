/**
 * The document change policy (issue #13; CIMD §8.4, CIMD-CHG-1, CIMD-CHG-2): what a new version of
 * a client's metadata changed, field by field and in which direction, and what each change calls
 * for. Pure: the server applies the outcome (packages/server/src/cimd/document-change.ts) and
 * docs/governance.md, "Document change policy", explains it to operators.
 *
 * Consequences, from the least to the most severe (the outcome is the most severe finding):
 * - `cosmetic`: what the client says about itself, shown as its claim anyway;
 * - `keep`: it matters, but the client keeps its standing and its users' grants;
 * - `downgrade`: the client drops a protection its users' consent was given under: by
 *   `governance.changePolicy.downgrade`, their grants end so they are asked again (`consent`, the
 *   default) or the client is held for the operator (`quarantine`);
 * - `hold`: tokens could now reach a party the client_id does not vouch for: the client goes back
 *   to `pending`, with the reason, until the operator releases it.
 *
 * | field                                   | change                                                     | consequence |
 * | --------------------------------------- | ---------------------------------------------------------- | ----------- |
 * | `redirect_uris`                         | added on a host other than the client_id host (*)          | hold        |
 * | `redirect_uris`                         | added on the client_id host; removed                       | keep        |
 * | `jwks` / `jwks_uri`                     | replaced (every key gone, or the URI moved) with a redirect_uris change | hold |
 * | `jwks` / `jwks_uri`                     | replaced with redirect_uris unchanged; key added; rotated (some kept); removed | keep |
 * | `token_endpoint_auth_method`            | weaker: private_key_jwt > client_secret_* > none            | downgrade   |
 * | `token_endpoint_auth_signing_alg`       | weaker: ES*, PS*, EdDSA > RS* (and unset) > HS*, none, unknown | downgrade |
 * | `dpop_bound_access_tokens`              | true → false or unset                                      | downgrade   |
 * | `require_pushed_authorization_requests` | true → false or unset                                      | downgrade   |
 * | `application_type`                      | web (or unset) → native                                    | downgrade   |
 * | `grant_types`, `response_types`         | a value added (e.g. refresh_token)                         | downgrade   |
 * | `scope`                                 | widened or narrowed                                        | keep        |
 * | the fields above                        | the other direction (stronger, narrower)                   | keep        |
 * | `client_name`, `logo_uri`, `client_uri`, `tos_uri`, `policy_uri`, `contacts`, `software_version` | any | cosmetic |
 * | any other field (`software_id`, …)      | any                                                        | keep        |
 *
 * (*) compared by hostname; a loopback redirect is never on the client_id host (any program on
 * the user's machine could take the code), a private-use scheme is when it is that host reversed
 * (RFC 8252 §7.1). A client_id that is not a URL has no host: every added redirect is foreign.
 *
 * Why these, in short (decision 0031 has the long form):
 * - A replaced key set alone keeps the client: codes still go only to the registered redirect URIs,
 *   and a session is bound to the key it began with (CIMD-CHG-3), so new keys reach nothing old;
 *   moving keys is ordinary operations (CIMD-CHG-2). New keys *and* new redirects together are
 *   what taking over a document looks like.
 * - A wider `scope` keeps the client: consent covers scopes (a grant approves silently only what
 *   it names), and the trust tier's ceiling bounds what any document asks for.
 * - A new grant or response type is a downgrade: consent does not name them, so an old grant would
 *   silently approve, say, refresh tokens the user never agreed to.
 */
import { type ClientMetadataDiff, diffClientMetadata } from '../cimd/client-metadata-diff.ts';
import type { ClientMetadata } from '../client-metadata.ts';
import { isLoopbackRedirectUri } from '../redirect-uri.ts';

export const CHANGE_CONSEQUENCES = ['cosmetic', 'keep', 'downgrade', 'hold'] as const;
/** What one change calls for, least severe first. */
export type ChangeConsequence = (typeof CHANGE_CONSEQUENCES)[number];
/** The most severe consequence of a change; `unchanged` when the metadata is the same. */
export type ChangeOutcome = ChangeConsequence | 'unchanged';

export type ChangeDirection =
  | 'added'
  | 'removed'
  | 'replaced'
  | 'rotated'
  | 'widened'
  | 'narrowed'
  | 'upgrade'
  | 'downgrade'
  | 'changed';

export interface DocumentChangeFinding {
  field: string;
  direction: ChangeDirection;
  consequence: ChangeConsequence;
  /** Why, in words, for the audit, the hold and the console. */
  reason: string;
}

export interface DocumentChange {
  outcome: ChangeOutcome;
  findings: DocumentChangeFinding[];
}

/** The metadata compared: ClientMetadata with the CIMD members it may carry. */
export type ComparedMetadata = ClientMetadata & { token_endpoint_auth_signing_alg?: string | undefined };

/** Cosmetic: what the client says about itself. */
const COSMETIC: ReadonlySet<string> = new Set([
  'client_name',
  'logo_uri',
  'client_uri',
  'tos_uri',
  'policy_uri',
  'contacts',
  'software_version',
]);

/** Fields with a rule of their own below; every other field that differs is `keep`. */
const RULED: ReadonlySet<string> = new Set([
  'redirect_uris',
  'jwks',
  'jwks_uri',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'dpop_bound_access_tokens',
  'require_pushed_authorization_requests',
  'application_type',
  'grant_types',
  'response_types',
  'scope',
]);

export function classifyDocumentChange(
  before: ComparedMetadata,
  after: ComparedMetadata,
  clientId: string,
): DocumentChange {
  // The value-level diff (cimd/client-metadata-diff.ts) is what the operator is shown; the table
  // judges that same diff, field by field.
  const diff = diffClientMetadata(before, after);
  const redirects = redirectChanges(diff, clientId);
  const findings = [
    ...redirects,
    ...keyChanges(before, after, diff, redirects.length > 0),
    ...ranked('token_endpoint_auth_method', before, after, authMethodStrength),
    ...ranked('token_endpoint_auth_signing_alg', before, after, signingAlgStrength),
    ...flagDropped('dpop_bound_access_tokens', before, after, 'DPoP-bound access tokens'),
    ...flagDropped('require_pushed_authorization_requests', before, after, 'pushed authorization requests'),
    ...applicationTypeChange(before, after),
    ...listWidened('grant_types', before, after),
    ...listWidened('response_types', before, after),
    ...scopeChange(before, after),
  ];
  for (const { member: field } of diff.members) {
    if (RULED.has(field)) continue;
    findings.push(
      COSMETIC.has(field)
        ? finding(field, 'changed', 'cosmetic', `${field} changed (the client's claim)`)
        : finding(field, 'changed', 'keep', `${field} changed`),
    );
  }
  return { outcome: mostSevere(findings), findings };
}

/** The most severe consequence of the findings; `unchanged` for none. */
export function mostSevere(findings: readonly DocumentChangeFinding[]): ChangeOutcome {
  let outcome: ChangeOutcome = 'unchanged';
  for (const { consequence } of findings) {
    if (outcome === 'unchanged' || severity(consequence) > severity(outcome)) outcome = consequence;
  }
  return outcome;
}

function severity(consequence: ChangeConsequence): number {
  return CHANGE_CONSEQUENCES.indexOf(consequence);
}

function finding(
  field: string,
  direction: ChangeDirection,
  consequence: ChangeConsequence,
  reason: string,
): DocumentChangeFinding {
  return { field, direction, consequence, reason };
}

/** Each added and removed redirect URI. */
function redirectChanges(diff: ClientMetadataDiff, clientId: string): DocumentChangeFinding[] {
  const host = URL.canParse(clientId) ? new URL(clientId).hostname.toLowerCase() : undefined;
  const findings: DocumentChangeFinding[] = [];
  for (const uri of diff.redirectUris.added) {
    const foreign = foreignHost(uri, host);
    findings.push(
      foreign === undefined
        ? finding('redirect_uris', 'added', 'keep', `redirect ${uri} added on the client_id host`)
        : finding('redirect_uris', 'added', 'hold', `redirect ${uri} added on foreign host ${foreign}`),
    );
  }
  for (const uri of diff.redirectUris.removed) {
    findings.push(finding('redirect_uris', 'removed', 'keep', `redirect ${uri} removed`));
  }
  return findings;
}

/** The redirect's host, described, when it is not the client_id host; undefined when it is. */
function foreignHost(uri: string, clientHost: string | undefined): string | undefined {
  if (!URL.canParse(uri)) return `(unreadable URI ${uri})`;
  const parsed = new URL(uri);
  const scheme = parsed.protocol.slice(0, -1);
  if (isLoopbackRedirectUri(uri)) return `${parsed.hostname} (loopback: any local program)`;
  if (scheme === 'https' || scheme === 'http') {
    return parsed.hostname.toLowerCase() === clientHost ? undefined : parsed.hostname;
  }
  const reversed = clientHost?.split('.').reverse().join('.');
  return scheme === reversed ? undefined : `${scheme}: (private-use scheme, not the client_id host reversed)`;
}

/** Where a version keeps its keys: a `jwks` (with how many), a `jwks_uri`, or neither. */
type KeySource = { kind: 'jwks'; size: number } | { kind: 'uri' } | undefined;

function keySource(metadata: ComparedMetadata, keys: number): KeySource {
  if (metadata.jwks !== undefined) return { kind: 'jwks', size: keys };
  return metadata.jwks_uri === undefined ? undefined : { kind: 'uri' };
}

/** Keys are compared by RFC 7638 thumbprint (a new `kid` on the same key is no new key). */
function keyChanges(
  before: ComparedMetadata,
  after: ComparedMetadata,
  diff: ClientMetadataDiff,
  redirectsChanged: boolean,
): DocumentChangeFinding[] {
  const kept = diff.keys.kept.length;
  const added = diff.keys.added.length;
  const removed = diff.keys.removed.length;
  const was = keySource(before, kept + removed);
  const is = keySource(after, kept + added);
  const sameKeys =
    was === undefined || is === undefined
      ? was === is
      : was.kind === 'uri' || is.kind === 'uri'
        ? was.kind === is.kind && diff.jwksUri === undefined
        : added === 0 && removed === 0;
  if (sameKeys) {
    const jwksChanged = diff.jwksUri !== undefined || diff.members.some(({ member }) => member === 'jwks');
    return jwksChanged ? [finding('jwks', 'changed', 'keep', 'jwks members changed, the same keys')] : [];
  }
  const name = is?.kind === 'uri' || (is === undefined && was?.kind === 'uri') ? 'jwks_uri' : 'jwks';
  const keep = (direction: ChangeDirection, reason: string) => [finding(name, direction, 'keep', reason)];
  if (is === undefined || (is.kind === 'jwks' && is.size === 0)) return keep('removed', `${name} removed`);
  if (was === undefined || (was.kind === 'jwks' && was.size === 0)) return keep('added', `${name} added`);
  if (was.kind === 'jwks' && is.kind === 'jwks') {
    if (kept === was.size) return keep('added', `${added} key(s) added, every previous key kept`);
    if (kept > 0) {
      return added === 0
        ? keep('removed', `${removed} key(s) removed, ${kept} kept`)
        : keep('rotated', `keys rotated: ${kept} kept, ${removed} removed, ${added} added`);
    }
  }
  const what =
    was.kind === 'uri' && is.kind === 'uri'
      ? `jwks_uri moved from ${before.jwks_uri} to ${after.jwks_uri}`
      : was.kind === is.kind
        ? 'every previous key replaced'
        : `keys moved from ${was.kind === 'uri' ? 'jwks_uri' : 'jwks'} to ${name}`;
  return redirectsChanged
    ? [finding(name, 'replaced', 'hold', `${what} together with a redirect_uris change`)]
    : keep('replaced', `${what}, redirect_uris unchanged`);
}

/** private_key_jwt > client_secret_* > none; a method this table does not know ranks with none. */
export function authMethodStrength(method: string | undefined): number {
  if (method === 'private_key_jwt') return 2;
  return method?.startsWith('client_secret_') ? 1 : 0;
}

/**
 * EdDSA, ES* and PS* > RS* > HS*, none and any algorithm this table does not know. Unset ranks
 * with RS*: the client no longer pins one, so any asymmetric algorithm the server accepts will do.
 */
export function signingAlgStrength(alg: string | undefined): number {
  if (alg === undefined) return 1;
  if (/^(ES|PS)(256|384|512)$/.test(alg) || alg === 'EdDSA' || alg === 'Ed25519' || alg === 'Ed448') return 2;
  return /^RS(256|384|512)$/.test(alg) ? 1 : 0;
}

/** A field whose values are ranked by strength: weaker is a downgrade, anything else is kept. */
function ranked(
  name: 'token_endpoint_auth_method' | 'token_endpoint_auth_signing_alg',
  before: ComparedMetadata,
  after: ComparedMetadata,
  strength: (value: string | undefined) => number,
): DocumentChangeFinding[] {
  const was = before[name];
  const is = after[name];
  if (was === is) return [];
  const change = `from ${was ?? 'unset'} to ${is ?? 'unset'}`;
  if (strength(is) < strength(was))
    return [finding(name, 'downgrade', 'downgrade', `${name} weakened ${change}`)];
  const direction = strength(is) > strength(was) ? 'upgrade' : 'changed';
  return [finding(name, direction, 'keep', `${name} changed ${change}`)];
}

function flagDropped(
  name: 'dpop_bound_access_tokens' | 'require_pushed_authorization_requests',
  before: ComparedMetadata,
  after: ComparedMetadata,
  what: string,
): DocumentChangeFinding[] {
  const was = before[name] === true;
  const is = after[name] === true;
  if (was === is) return [];
  return was
    ? [finding(name, 'downgrade', 'downgrade', `${what} no longer required`)]
    : [finding(name, 'upgrade', 'keep', `${what} now required`)];
}

/** Unset is `web` (RFC 7591 §2, OpenID Connect Dynamic Client Registration §2). */
function applicationTypeChange(before: ComparedMetadata, after: ComparedMetadata): DocumentChangeFinding[] {
  const was = before.application_type ?? 'web';
  const is = after.application_type ?? 'web';
  if (was === is) return [];
  return is === 'native'
    ? [finding('application_type', 'downgrade', 'downgrade', 'application_type changed from web to native')]
    : [finding('application_type', 'upgrade', 'keep', `application_type changed from ${was} to ${is}`)];
}

function listWidened(
  name: 'grant_types' | 'response_types',
  before: ComparedMetadata,
  after: ComparedMetadata,
): DocumentChangeFinding[] {
  const was = new Set(before[name] ?? []);
  const is = new Set(after[name] ?? []);
  const added = [...is].filter((value) => !was.has(value));
  const removed = [...was].filter((value) => !is.has(value));
  return [
    ...(added.length === 0
      ? []
      : [
          finding(
            name,
            'widened',
            'downgrade',
            `${name} gained ${added.join(', ')}, which no consent covered`,
          ),
        ]),
    ...(removed.length === 0
      ? []
      : [finding(name, 'narrowed', 'keep', `${name} lost ${removed.join(', ')}`)]),
  ];
}

/** Unset `scope` sets no limit of the client's own, so it is wider than any list. */
function scopeChange(before: ComparedMetadata, after: ComparedMetadata): DocumentChangeFinding[] {
  const words = (scope: string | undefined) =>
    scope === undefined ? undefined : new Set(scope.split(' ').filter(Boolean));
  const was = words(before.scope);
  const is = words(after.scope);
  const widened =
    is === undefined ? was !== undefined : was !== undefined && [...is].some((s) => !was.has(s));
  const narrowed =
    was === undefined ? is !== undefined : is !== undefined && [...was].some((s) => !is.has(s));
  if (!widened && !narrowed) return []; // the same words, perhaps reordered
  const direction = widened && narrowed ? 'changed' : widened ? 'widened' : 'narrowed';
  const change = `from ${before.scope ?? 'unset'} to ${after.scope ?? 'unset'}`;
  return [
    finding(
      'scope',
      direction,
      'keep',
      `scope ${direction} ${change} (consent and the tier ceiling bound it)`,
    ),
  ];
}
