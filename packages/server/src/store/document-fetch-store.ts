/**
 * The fetch log (issue #14, items 2 and 3): one entry per network fetch of a Client ID Metadata
 * Document, whatever became of it. `clientDocuments` keeps each accepted version once; this keeps
 * every attempt, with what the operator needs to review it later: the outcome and why, how long it
 * took, the validators and cache headers, the address the socket was connected to and the server's
 * TLS certificate. Ownership drift (cimd/ownership-drift.ts) is judged from it, and the inventory
 * reads a client's last fetch from it (`latest`).
 *
 * Refused and failed fetches are recorded only for clients the server has stored (see
 * cimd/fetch-log-recorder.ts), so a flood of unknown client_ids writes nothing here.
 */

/** The server's certificate as the TLS handshake presented it (safe-fetch's PeerCertificate). */
export interface FetchCertificate {
  /** The issuer's distinguished name, as Node prints it (`CN=…`, one attribute a line). */
  issuer: string;
  subject: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, base64 (the form of an HPKP `pin-sha256`). */
  spkiSha256: string;
  /** notBefore and notAfter, epoch milliseconds. */
  validFrom: number;
  validTo: number;
}

/**
 * - `accepted`: a 200 whose document passed validation (its version is in `clientDocuments`);
 * - `not_modified`: a 304 that confirmed the version held;
 * - `refused`: a 200 whose body was refused (not JSON, a validation finding, or the fetcher's
 *   media type, coding or size rules);
 * - `failed`: no usable answer: DNS, connect, TLS, deadline, a status other than 200 (404, 410,
 *   5xx, a redirect), a 304 that confirmed nothing.
 */
export const DOCUMENT_FETCH_OUTCOMES = ['accepted', 'not_modified', 'refused', 'failed'] as const;
export type DocumentFetchOutcome = (typeof DOCUMENT_FETCH_OUTCOMES)[number];

export interface DocumentFetch {
  /** The client ID URL fetched. */
  clientId: string;
  /** Its host, lower-case: what `hostFirstSeen` is keyed by. */
  host: string;
  /** When the fetch began, epoch milliseconds. */
  at: number;
  durationMs: number;
  outcome: DocumentFetchOutcome;
  /** Why, for `refused` and `failed`: the fetcher's, the cache's or the validator's stable reason. */
  reason?: string | undefined;
  /** The HTTP status, when an answer came. */
  status?: number | undefined;
  /** SHA-256 (base64url) of the body, for `accepted` (the version's digest) and a readable `refused` one. */
  digest?: string | undefined;
  /** The body of a `refused` fetch when it could be read (capped); accepted bodies live in clientDocuments. */
  body?: string | undefined;
  /** Validators and cache headers of the answer: etag, last-modified, cache-control, expires, age, date, content-type. */
  headers?: Record<string, string> | undefined;
  /** The address the socket was connected to (absent through an egress proxy). */
  remoteAddress?: string | undefined;
  /** The server's certificate (absent through an egress proxy, or when TLS did not complete). */
  tls?: FetchCertificate | undefined;
}

/** An entry as stored: `id` orders entries (newest is highest) and pages `list`. */
export interface RecordedDocumentFetch extends DocumentFetch {
  id: number;
}

export interface DocumentFetchRetention {
  /** Entries that began before this time go. */
  before: number;
  /** Of each client, only the newest this many entries stay. */
  keepPerClient: number;
}

/**
 * Contract:
 * - `record` appends one entry and assigns it an `id` greater than that of every entry this store
 *   handle recorded before; concurrent records are all kept. An `accepted` entry also makes its
 *   host known: `hostFirstSeen(host)` is the earliest `at` of any accepted entry ever recorded for
 *   the host, whatever the order in which concurrent records land, and survives `purge` and
 *   `deleteByClient` (it is when the server first met the domain, not a log entry).
 * - `list` is one client's entries, newest (highest id) first, at most `limit` of them, only those
 *   with an id below `before` when given (the next page: `before` = the last id of this one).
 *   `latest` is the newest entry.
 * - `purge` deletes entries that began before `retention.before`, and every entry of a client
 *   beyond its newest `retention.keepPerClient`; it returns how many went.
 * - `deleteByClient` deletes a client's entries (the client was removed) and returns how many.
 */
export interface DocumentFetchStore {
  record(fetch: DocumentFetch): Promise<void>;
  list(clientId: string, options?: { limit?: number; before?: number }): Promise<RecordedDocumentFetch[]>;
  latest(clientId: string): Promise<RecordedDocumentFetch | undefined>;
  hostFirstSeen(host: string): Promise<number | undefined>;
  purge(retention: DocumentFetchRetention): Promise<number>;
  deleteByClient(clientId: string): Promise<number>;
}
