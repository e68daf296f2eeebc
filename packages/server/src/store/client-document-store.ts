/**
 * Every version of a Client ID Metadata Document the server has fetched and accepted (CIMD-FETCH-2,
 * CIMD-CHG-1): the inventory's document history and diffs, and (issue #6) the shared second-level
 * cache that lets one instance's fetch serve the others.
 */
export interface ClientDocumentVersion {
  /** The client ID URL the document was fetched from. */
  clientId: string;
  /** SHA-256 (base64url) of the body as fetched. */
  digest: string;
  /** The body as fetched (UTF-8 JSON text, at most the fetch cap). */
  body: string;
  /** When this version was first fetched. */
  fetchedAt: number;
  /** When a fetch last returned this same version (a 304 or an identical body). */
  lastSeenAt: number;
  /** Response headers that matter for caching and review: etag, last-modified, cache-control, expires, date, content-type. */
  headers: Record<string, string>;
}

export type RecordDocumentResult =
  | { changed: false; current: ClientDocumentVersion }
  | { changed: true; current: ClientDocumentVersion; previous?: ClientDocumentVersion };

/**
 * Contract:
 * - `record` compares with the latest version of the client: the same digest only moves its
 *   `lastSeenAt` (and replaces its headers) and returns `changed: false`; a new digest appends a
 *   version and returns `changed: true` with the one it replaced, if any. Atomic per clientId:
 *   of concurrent records of one new digest, exactly one returns `changed: true`.
 * - `history` is newest first.
 * - `deleteByClient` removes every version of a client (the client was removed: nothing of it is
 *   kept, and no instance adopts its last version as the shared second level) and returns how many.
 */
export interface ClientDocumentStore {
  record(version: Omit<ClientDocumentVersion, 'lastSeenAt'>, now: number): Promise<RecordDocumentResult>;
  latest(clientId: string): Promise<ClientDocumentVersion | undefined>;
  history(clientId: string, limit?: number): Promise<ClientDocumentVersion[]>;
  deleteByClient(clientId: string): Promise<number>;
}
