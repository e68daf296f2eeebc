import { type ClientMetadataDiff, diffClientMetadata, OAuthError } from '@gatehouse-oauth/core';
import type { ClientDocumentVersion, RecordedDocumentFetch, Store } from '../store/store.ts';

/**
 * A client's document history (issue #14, item 2; docs/document-history.md): the versions the
 * server accepted, numbered, and every fetch of the document with its outcome, newest first; and
 * the value-level diff between any two versions (core's diffClientMetadata, the same diff the
 * change policy judged). What `gatehouse clients history` prints and the admin API answers
 * (GET /admin/v1/clients/{client_id}/history and …/history/diff), read from the store the two
 * share, so it shows what every instance fetched.
 *
 * A version is named by its number (1 is the first the server accepted; numbers only grow while the
 * client exists) or by its digest: the whole SHA-256 (base64url), or a prefix of at least 8
 * characters that only one document matches. A digest a document returned to later (A, B, A)
 * names the same bytes each time, so the newest of its versions stands for it.
 */
export interface NumberedVersion extends ClientDocumentVersion {
  /** 1 for the first version accepted, then one more for each change. */
  number: number;
}

export interface DocumentHistory {
  clientId: string;
  /** The client_id URL's host, and when it first served an accepted document (any client). */
  host: string;
  hostFirstSeenAt?: number;
  /** Every version accepted, newest first. */
  versions: NumberedVersion[];
  /** The fetches, newest first: one page of the fetch log. */
  fetches: RecordedDocumentFetch[];
  /** The `before` of the next page, when there may be one. */
  nextBefore?: number;
}

export interface VersionDiff {
  clientId: string;
  from: NumberedVersion;
  to: NumberedVersion;
  diff: ClientMetadataDiff;
}

export interface HistoryPage {
  /** At most this many fetches (default 50, at most 500). */
  limit?: number;
  /** Fetches with an id below this one (the previous page's `nextBefore`). */
  before?: number;
}

export interface DocumentHistoryReader {
  /** Undefined when the server knows nothing of the client: not stored, never fetched. */
  history(clientId: string, page?: HistoryPage): Promise<DocumentHistory | undefined>;
  /** Throws `version_not_found` (404) or `version_ambiguous` (400) for a name that names no one version. */
  diff(clientId: string, from: string, to: string): Promise<VersionDiff>;
}

export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 500;
/** A digest prefix shorter than this is too easy to mistype into another version. */
const MIN_DIGEST_PREFIX = 8;

export function createDocumentHistory(deps: {
  store: Pick<Store, 'clients' | 'clientDocuments' | 'documentFetches'>;
}): DocumentHistoryReader {
  const { store } = deps;

  async function numberedVersions(clientId: string): Promise<NumberedVersion[]> {
    const versions = await store.clientDocuments.history(clientId);
    return versions.map((version, index) => ({ ...version, number: versions.length - index }));
  }

  return {
    async history(clientId, page = {}) {
      const limit = Math.min(Math.max(page.limit ?? DEFAULT_HISTORY_LIMIT, 1), MAX_HISTORY_LIMIT);
      const [versions, fetches, client] = await Promise.all([
        numberedVersions(clientId),
        store.documentFetches.list(clientId, {
          limit,
          ...(page.before === undefined ? {} : { before: page.before }),
        }),
        store.clients.get(clientId),
      ]);
      if (client === undefined && versions.length === 0 && fetches.length === 0 && page.before === undefined)
        return undefined;
      const host = URL.parse(clientId)?.hostname ?? '';
      const firstSeen = host === '' ? undefined : await store.documentFetches.hostFirstSeen(host);
      return {
        clientId,
        host,
        ...(firstSeen === undefined ? {} : { hostFirstSeenAt: firstSeen }),
        versions,
        fetches,
        ...(fetches.length === limit ? { nextBefore: fetches.at(-1)!.id } : {}),
      };
    },

    async diff(clientId, from, to) {
      const versions = await numberedVersions(clientId);
      const older = pick(versions, from, clientId);
      const newer = pick(versions, to, clientId);
      return {
        clientId,
        from: older,
        to: newer,
        diff: diffClientMetadata(parsedBody(older), parsedBody(newer)),
      };
    },
  };
}

/** The version a name means (see the header): a number, a digest, or a long enough digest prefix. */
function pick(versions: readonly NumberedVersion[], name: string, clientId: string): NumberedVersion {
  if (/^[1-9][0-9]{0,8}$/.test(name)) {
    const found = versions.find((version) => version.number === Number(name));
    if (found !== undefined) return found;
  } else if (name.length >= MIN_DIGEST_PREFIX) {
    const matching = versions.filter((version) => version.digest.startsWith(name));
    if (new Set(matching.map((version) => version.digest)).size > 1) {
      throw new OAuthError('invalid_request', {
        reason: 'version_ambiguous',
        description: `${name} begins the digest of more than one version of ${clientId}; give more of it`,
      });
    }
    // Newest first: the newest version with those bytes.
    if (matching[0] !== undefined) return matching[0];
  }
  throw new OAuthError('invalid_request', {
    status: 404,
    reason: 'version_not_found',
    description: `no version ${name} of ${clientId} (a version number from 1 to ${versions.length}, or a digest of at least ${MIN_DIGEST_PREFIX} characters)`,
  });
}

function parsedBody(version: ClientDocumentVersion): object {
  return JSON.parse(version.body) as object;
}
