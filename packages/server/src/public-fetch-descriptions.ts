import type { SafeFetchReason } from '@gatehouse-oauth/safe-fetch';
import type { GovernorRefusalReason } from './cimd/fetch-governor.ts';
import type { DocumentCacheErrorReason } from './cimd/metadata-document-cache.ts';

/**
 * What a client is told when a fetch made on its behalf fails (a Client ID Metadata Document, a
 * jwks_uri): the one table of public descriptions, by stable reason, used by every path.
 *
 * The `error_description` of RFC 6749 §5.2 is "to assist the client developer", and the answers
 * that carry it (/authorize's error page, /par, /token, /revoke, /introspect) go to whoever sent the
 * request, unauthenticated. So each sentence says what the client's developer can fix and nothing
 * the server learned on its own network: never a resolved address, an IANA range name, a DNS answer
 * or error, a Location, a socket or TLS error text (issue 18, finding 5). The fetcher's message
 * carries all of those; it goes to the log line and the audit event (`fetch.refused`, `cimd.refused`;
 * observed-fetch.ts `fetchFailureDetail`), and the stable reason still names the cause for metrics
 * and tests (CIMD-FETCH-13). Fixed sentences also keep the status and size limits out: through an
 * egress proxy, the status may be the proxy's.
 */
export type FetchFailureReason =
  | SafeFetchReason
  | DocumentCacheErrorReason
  | GovernorRefusalReason
  | 'fetch_failed';

/** Completes "<what was fetched> could not be used: …". */
export const PUBLIC_FETCH_DESCRIPTIONS = {
  invalid_url: 'the URL does not parse',
  scheme_not_https: 'only https URLs are fetched',
  userinfo: 'URLs with a user name or password are not fetched',
  special_purpose_address:
    'its host resolves to an address this server may not fetch from (it must be public)',
  dns_failure: 'its host could not be resolved',
  connect_failed: 'its host did not accept a connection',
  tls: 'the TLS handshake or the certificate verification failed',
  deadline_exceeded: 'no complete response arrived in time',
  aborted: 'the fetch was abandoned; try again',
  redirect_refused: 'it answered with a redirect, and redirects are not followed',
  status_not_200: 'it answered with a status other than 200',
  content_type: 'it was not served with a JSON media type (application/json)',
  content_encoding: 'it was served with a content or transfer coding this server does not accept',
  body_too_large: 'it is larger than this server accepts',
  network_error: 'the connection failed while the response was read',
  invalid_json: 'the response body is not JSON',
  revalidation_mismatch: 'a 304 answer named other validators than the response it confirms',
  unexpected_not_modified: 'it answered 304 to a request without validators',
  // Load shedding (decision 0007): nothing for the client to fix but the timing.
  global_rate: 'this server is fetching too many documents right now; try again later',
  host_rate: 'this server is fetching too many documents from this host right now; try again later',
  global_concurrency: 'this server is fetching too many documents right now; try again later',
  host_concurrency: 'this server is fetching too many documents from this host right now; try again later',
  queue_full: 'this server is fetching too many documents right now; try again later',
  fetch_failed: 'it could not be fetched',
} as const satisfies Record<FetchFailureReason, string>;

/**
 * The public description of a failed fetch of `what` ("the client jwks_uri"): fixed text for the
 * reason, any reason this table does not know answered as `fetch_failed`.
 */
export function publicFetchDescription(what: string, reason: string): string {
  const known = Object.hasOwn(PUBLIC_FETCH_DESCRIPTIONS, reason)
    ? PUBLIC_FETCH_DESCRIPTIONS[reason as FetchFailureReason]
    : PUBLIC_FETCH_DESCRIPTIONS.fetch_failed;
  return `${what} could not be used: ${known}`;
}

/** The stable reason a failure carries (SafeFetchError, cache, governor, OAuthError), else `fetch_failed`. */
export function fetchFailureReason(error: unknown): string {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : 'fetch_failed';
}
