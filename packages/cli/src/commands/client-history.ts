import { type ClientMetadataDiff, isOAuthError } from '@gatehouse-oauth/core';
import {
  createDocumentHistory,
  type DocumentHistory,
  type NumberedVersion,
  type RecordedDocumentFetch,
  type Store,
  type VersionDiff,
} from '@gatehouse-oauth/server';
import { UsageError } from '../usage-error.ts';
import { positiveInteger } from './registration-tokens.ts';

const USAGE =
  'usage: gatehouse clients history <client_id> [--diff <from> <to>] [--limit N] [--before ID] [--json]';

/**
 * `gatehouse clients history <client_id> [--diff <from> <to>] [--json]` (issue #14, item 2;
 * docs/document-history.md): the versions of a client's metadata document the server accepted, and
 * every fetch of it with its outcome, the address dialled and the server's certificate; or, with
 * `--diff`, what changed between two versions, value by value. Read through the same service as the
 * admin API (GET /admin/v1/clients/{client_id}/history), from the store every instance writes, so
 * it shows what all of them fetched. Versions are named by number (1 is the first) or digest (a
 * prefix of 8+ characters will do). Fetches come a page at a time (`--limit`, default 50;
 * `--before <id>` for the next page, as the listing says). `--json` prints the service's own objects: camelCase, times in
 * milliseconds since the epoch, as every `--json` listing.
 */
export async function clientHistoryCommand(
  store: Store,
  args: readonly string[],
  flags: {
    diff?: string | undefined;
    limit?: string | undefined;
    before?: string | undefined;
    json: boolean;
  },
): Promise<void> {
  // `--diff <from> <to>`: the parser takes <from> as the flag's value, <to> is the next word.
  const [, clientId, to, ...extra] = args;
  if (clientId === undefined || extra.length > 0) throw new UsageError(USAGE);
  if ((flags.diff === undefined) !== (to === undefined)) throw new UsageError(USAGE);
  const history = createDocumentHistory({ store });
  try {
    if (flags.diff !== undefined && to !== undefined) {
      const result = await history.diff(clientId, flags.diff, to);
      say(flags.json ? JSON.stringify(diffJson(result), null, 2) : diffText(result).join('\n'));
      return;
    }
    const found = await history.history(clientId, {
      ...(flags.limit === undefined ? {} : { limit: positiveInteger('--limit', flags.limit) }),
      ...(flags.before === undefined ? {} : { before: positiveInteger('--before', flags.before) }),
    });
    if (found === undefined) throw new UsageError(`no client ${clientId}, and no fetch of it`);
    say(flags.json ? JSON.stringify(found, null, 2) : historyText(found).join('\n'));
  } catch (error) {
    // version_not_found, version_ambiguous: the message says what to give instead.
    if (isOAuthError(error)) throw new UsageError(error.description ?? error.message);
    throw error;
  }
}

function historyText(history: DocumentHistory): string[] {
  const lines = [
    `${history.clientId} (host ${history.host || '-'}` +
      `${history.hostFirstSeenAt === undefined ? '' : `, first seen ${iso(history.hostFirstSeenAt)}`})`,
    `versions (number, first fetched, last seen, digest): ${history.versions.length}`,
    ...history.versions.map((version) =>
      [version.number, iso(version.fetchedAt), iso(version.lastSeenAt), version.digest].join('\t'),
    ),
    `fetches, newest first (at, outcome, status, duration, digest or reason, address, certificate): ${history.fetches.length}`,
    ...history.fetches.map(fetchLine),
  ];
  if (history.nextBefore !== undefined) lines.push(`older fetches: --before ${history.nextBefore}`);
  return lines;
}

function fetchLine(fetch: RecordedDocumentFetch): string {
  const certificate =
    fetch.tls === undefined
      ? '-'
      : `issuer=${oneLine(fetch.tls.issuer)} spki=${fetch.tls.spkiSha256} until=${iso(fetch.tls.validTo)}`;
  return [
    iso(fetch.at),
    fetch.outcome,
    fetch.status ?? '-',
    `${fetch.durationMs} ms`,
    fetch.reason ?? fetch.digest ?? '-',
    fetch.remoteAddress ?? '-',
    certificate,
  ].join('\t');
}

function diffText({ clientId, from, to, diff }: VersionDiff): string[] {
  const lines = [`${clientId}: version ${versionText(from)} → version ${versionText(to)}`];
  const { added, removed } = diff.redirectUris;
  if (added.length + removed.length > 0)
    lines.push('redirect_uris', ...added.map((uri) => `  + ${uri}`), ...removed.map((uri) => `  - ${uri}`));
  if (diff.keys.added.length + diff.keys.removed.length > 0) {
    const key = (sign: string, entry: ClientMetadataDiff['keys']['added'][number]) =>
      `  ${sign} ${entry.thumbprint}${entry.rfc7638 ? '' : ' (not RFC 7638: digest of the whole key)'}` +
      `${entry.kid === undefined ? '' : ` kid ${entry.kid}`}${entry.kty === undefined ? '' : ` ${entry.kty}`}`;
    lines.push(
      'keys (RFC 7638 thumbprints)',
      ...diff.keys.added.map((entry) => key('+', entry)),
      ...diff.keys.removed.map((entry) => key('-', entry)),
    );
  }
  if (diff.jwksUri !== undefined)
    lines.push(`jwks_uri: ${diff.jwksUri.before ?? '(unset)'} → ${diff.jwksUri.after ?? '(unset)'}`);
  for (const change of diff.members)
    lines.push(`${change.member}: ${valueText(change.before)} → ${valueText(change.after)}`);
  if (lines.length === 1) lines.push('no change');
  return lines;
}

function diffJson({ clientId, from, to, diff }: VersionDiff) {
  const ref = (version: NumberedVersion) => ({
    number: version.number,
    digest: version.digest,
    fetchedAt: version.fetchedAt,
  });
  return { clientId, from: ref(from), to: ref(to), ...diff };
}

function versionText(version: NumberedVersion): string {
  return `${version.number} (${version.digest.slice(0, 12)}…, ${iso(version.fetchedAt)})`;
}

function valueText(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}
