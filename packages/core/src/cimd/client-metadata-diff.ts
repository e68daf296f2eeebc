/**
 * What changed between two versions of a client's metadata, value by value (issue #14, item 2):
 * redirect URIs added and removed, keys added and removed by their RFC 7638 thumbprint, `jwks_uri`
 * before and after, and every other member before and after. Pure. The operator reads it in
 * `gatehouse clients history --diff` and the admin API; the document change policy
 * (governance/document-change-policy.ts) judges the same diff, so what an operator is shown and
 * what the server acted on are one computation.
 *
 * Set semantics where the spec has sets: the order of `redirect_uris` or of the keys in `jwks`, and
 * a duplicate, change nothing. Members are compared as JSON with object members sorted, so member
 * order never reads as a change either.
 */
import { createHash } from 'node:crypto';
import { jwkThumbprint } from '../jwk/jwk-thumbprint.ts';

/** A key named by its thumbprint, with what helps a person recognise it. */
export interface DiffKey {
  /**
   * RFC 7638 SHA-256 thumbprint, base64url. For a key type without an RFC 7638 member set (`oct`, an
   * unknown `kty`) or a malformed key, the SHA-256 of its whole JSON instead, marked `rfc7638: false`.
   */
  thumbprint: string;
  rfc7638: boolean;
  kid?: string;
  kty?: string;
}

/** One member other than redirect_uris and the keys: its value before and after (absent = unset). */
export interface MemberChange {
  member: string;
  before?: unknown;
  after?: unknown;
}

export interface ClientMetadataDiff {
  /** In the order of the version that has them. */
  redirectUris: { added: string[]; removed: string[] };
  /** The keys of `jwks`: added, removed, and kept (in both). */
  keys: { added: DiffKey[]; removed: DiffKey[]; kept: DiffKey[] };
  /** Set when `jwks_uri` differs; an unset side is absent. */
  jwksUri?: { before?: string; after?: string };
  /**
   * Every other member that differs, by name. `jwks` is among them only when its keys are the same
   * and something else in it changed (a `kid`, a `use`).
   */
  members: MemberChange[];
}

/** Members with an entry of their own in the diff. */
const OWN_ENTRY: ReadonlySet<string> = new Set(['redirect_uris', 'jwks', 'jwks_uri']);

export function diffClientMetadata(before: object, after: object): ClientMetadataDiff {
  const was = before as Record<string, unknown>;
  const is = after as Record<string, unknown>;
  const keys = diffKeys(keysOf(was.jwks), keysOf(is.jwks));
  const members: MemberChange[] = [];
  const names = [...new Set([...Object.keys(was), ...Object.keys(is)])].sort();
  for (const member of names) {
    if (OWN_ENTRY.has(member) || sameValue(was[member], is[member])) continue;
    members.push(change(member, was[member], is[member]));
  }
  const sameKeySet = keys.added.length === 0 && keys.removed.length === 0;
  if (sameKeySet && !sameJwks(was.jwks, is.jwks)) members.push(change('jwks', was.jwks, is.jwks));
  const diff: ClientMetadataDiff = {
    redirectUris: diffLists(stringsOf(was.redirect_uris), stringsOf(is.redirect_uris)),
    keys,
    members,
  };
  if (!sameValue(was.jwks_uri, is.jwks_uri)) {
    diff.jwksUri = {
      ...(typeof was.jwks_uri === 'string' ? { before: was.jwks_uri } : {}),
      ...(typeof is.jwks_uri === 'string' ? { after: is.jwks_uri } : {}),
    };
  }
  return diff;
}

/** Whether the two versions are the same document, value for value. */
export function isEmptyDiff(diff: ClientMetadataDiff): boolean {
  return (
    diff.redirectUris.added.length === 0 &&
    diff.redirectUris.removed.length === 0 &&
    diff.keys.added.length === 0 &&
    diff.keys.removed.length === 0 &&
    diff.jwksUri === undefined &&
    diff.members.length === 0
  );
}

/** Whether the diff touches where codes go or which keys the client holds (the drift signals' test). */
export function changesKeysOrRedirects(diff: ClientMetadataDiff): boolean {
  return (
    diff.redirectUris.added.length > 0 ||
    diff.redirectUris.removed.length > 0 ||
    diff.keys.added.length > 0 ||
    diff.keys.removed.length > 0 ||
    diff.jwksUri !== undefined
  );
}

/** JSON with object members sorted, so member order never reads as a change. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A JWK Set compared as a set: its keys in any order, a duplicate once. */
function sameJwks(a: unknown, b: unknown): boolean {
  const normal = (jwks: unknown) => {
    const keys = (jwks as { keys?: unknown } | null | undefined)?.keys;
    if (!Array.isArray(keys)) return canonicalJson(jwks);
    const set = [...new Set(keys.map((key) => canonicalJson(key)))].sort();
    return canonicalJson({ ...(jwks as object), keys: set });
  };
  return normal(a) === normal(b);
}

function change(member: string, before: unknown, after: unknown): MemberChange {
  return {
    member,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  };
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function diffLists(
  before: readonly string[],
  after: readonly string[],
): { added: string[]; removed: string[] } {
  const was = new Set(before);
  const is = new Set(after);
  return {
    added: [...is].filter((item) => !was.has(item)),
    removed: [...was].filter((item) => !is.has(item)),
  };
}

function keysOf(jwks: unknown): DiffKey[] {
  const keys = (jwks as { keys?: unknown } | null | undefined)?.keys;
  if (!Array.isArray(keys)) return [];
  const seen = new Map<string, DiffKey>();
  for (const key of keys) {
    if (key === null || typeof key !== 'object') continue;
    const named = diffKey(key as Record<string, unknown>);
    if (!seen.has(named.thumbprint)) seen.set(named.thumbprint, named);
  }
  return [...seen.values()];
}

function diffKey(jwk: Record<string, unknown>): DiffKey {
  const thumbprint = jwkThumbprint(jwk);
  return {
    thumbprint: thumbprint ?? createHash('sha256').update(canonicalJson(jwk)).digest('base64url'),
    rfc7638: thumbprint !== undefined,
    ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
    ...(typeof jwk.kty === 'string' ? { kty: jwk.kty } : {}),
  };
}

function diffKeys(before: readonly DiffKey[], after: readonly DiffKey[]): ClientMetadataDiff['keys'] {
  const was = new Set(before.map((key) => key.thumbprint));
  const is = new Set(after.map((key) => key.thumbprint));
  return {
    added: after.filter((key) => !was.has(key.thumbprint)),
    removed: before.filter((key) => !is.has(key.thumbprint)),
    kept: after.filter((key) => was.has(key.thumbprint)),
  };
}
