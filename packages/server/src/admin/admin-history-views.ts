/**
 * The admin API's document history answers from the history service's objects (admin-history-
 * schemas.ts), in the conventions of admin-views.ts: snake_case, ISO 8601 times, unset members left out.
 */
import type { DocumentHistory, NumberedVersion, VersionDiff } from '../cimd/document-history.ts';
import type { RecordedDocumentFetch } from '../store/store.ts';
import type { DocumentHistoryJson, VersionDiffJson } from './admin-history-schemas.ts';

const iso = (time: number) => new Date(time).toISOString();

function fetchJson(fetch: RecordedDocumentFetch): DocumentHistoryJson['fetches'][number] {
  return {
    id: fetch.id,
    at: iso(fetch.at),
    duration_ms: fetch.durationMs,
    outcome: fetch.outcome,
    ...(fetch.reason === undefined ? {} : { reason: fetch.reason }),
    ...(fetch.status === undefined ? {} : { status: fetch.status }),
    ...(fetch.digest === undefined ? {} : { digest: fetch.digest }),
    ...(fetch.body === undefined ? {} : { body: fetch.body }),
    ...(fetch.headers === undefined ? {} : { headers: fetch.headers }),
    ...(fetch.remoteAddress === undefined ? {} : { remote_address: fetch.remoteAddress }),
    ...(fetch.tls === undefined
      ? {}
      : {
          tls: {
            issuer: fetch.tls.issuer,
            subject: fetch.tls.subject,
            spki_sha256: fetch.tls.spkiSha256,
            valid_from: iso(fetch.tls.validFrom),
            valid_to: iso(fetch.tls.validTo),
          },
        }),
  };
}

function versionRef(version: NumberedVersion) {
  return { number: version.number, digest: version.digest, fetched_at: iso(version.fetchedAt) };
}

export function documentHistoryJson(history: DocumentHistory): DocumentHistoryJson {
  return {
    client_id: history.clientId,
    host: history.host,
    ...(history.hostFirstSeenAt === undefined ? {} : { host_first_seen_at: iso(history.hostFirstSeenAt) }),
    versions: history.versions.map((version) => ({
      ...versionRef(version),
      last_seen_at: iso(version.lastSeenAt),
      headers: version.headers,
      body: version.body,
    })),
    fetches: history.fetches.map(fetchJson),
    ...(history.nextBefore === undefined ? {} : { next_before: history.nextBefore }),
  };
}

export function versionDiffJson(result: VersionDiff): VersionDiffJson {
  const { diff } = result;
  return {
    client_id: result.clientId,
    from: versionRef(result.from),
    to: versionRef(result.to),
    redirect_uris: diff.redirectUris,
    keys: diff.keys,
    ...(diff.jwksUri === undefined ? {} : { jwks_uri: diff.jwksUri }),
    members: diff.members,
  };
}
