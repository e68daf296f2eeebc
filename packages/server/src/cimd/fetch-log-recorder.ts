import { isSafeFetchError, type SafeFetch, type SafeResponse } from '@gatehouse-oauth/safe-fetch';
import { fetchFailureReason } from '../public-fetch-descriptions.ts';
import type { DocumentFetch, Store } from '../store/store.ts';
import { digestOf } from './cached-document.ts';
import type { CacheEvent } from './document-cache-contract.ts';
import type { OwnershipDriftCheck } from './ownership-drift-check.ts';

/**
 * Writes the fetch log (issue #14; store/document-fetch-store.ts): one entry per network fetch the
 * metadata document cache makes, with its outcome. The cache is left as it is: the recorder wraps
 * the three things the server hands it (clients/client-resolution.ts), and each fetch's outcome is
 * settled where it becomes known:
 *
 * - `fetch`: every network fetch passes here. A fetch that throws is `failed` (or `refused` when a
 *   200's body broke the fetcher's media type, coding or size rules). A 304 waits for the cache's
 *   verdict (`onEvent`); a 200 waits for its body's (`json`, then `validate`).
 * - `json` (on the response handed to the cache): a body that is not JSON is `refused` here.
 * - `validate`: the parsed body this fetch produced (matched by identity, so a body the cache adopts
 *   from the shared store is never taken for a fetch) is `accepted`, or `refused` with the
 *   validator's reason. An accepted one is weighed for ownership drift first, awaited, so a hold is
 *   in place before the new version is used.
 * - `onEvent`: a pending 304 is `not_modified` on `revalidated` (weighed for drift, not awaited:
 *   the version did not change), `failed` on `fetch_failed` (it confirmed nothing).
 *
 * Entries are written off the request's path (group commit on SQLite), so no fetch waits for the
 * log; a write that fails is reported to `onError` and lost, never the fetch. A `refused` or
 * `failed` fetch is written only for a client the server has stored: a flood of made-up client_ids
 * (which the fetch governor already bounds) writes nothing, and one store read per failed fetch is
 * its cost. Retention (`cimd.fetchLogEntries`, `cimd.fetchLogDays`) is applied after a write, at
 * most once an hour.
 */
export interface FetchLogRecorderDeps {
  store: Pick<Store, 'documentFetches' | 'clients'>;
  clock: () => number;
  drift: OwnershipDriftCheck;
  retention: { entries: number; days: number };
  /** A lost log entry or a failed drift check: the fetch itself goes on. */
  onError: (error: unknown, what: string) => void;
}

export interface FetchLogRecorder {
  fetch(inner: SafeFetch): SafeFetch;
  validate<T>(
    inner: (body: unknown, url: string) => T | Promise<T>,
  ): (body: unknown, url: string) => Promise<T>;
  onEvent(event: CacheEvent): void;
  /** Resolves once every entry begun so far is written (tests, a clean stop). */
  flush(): Promise<void>;
}

/** Headers kept with an entry: the validators and what set the freshness. */
const KEPT_HEADERS = ['etag', 'last-modified', 'cache-control', 'expires', 'age', 'date', 'content-type'];
/** A refused body is kept for review, bounded (the fetch cap is 5 KiB by default). */
const MAX_REFUSED_BODY = 16 * 1024;
/** The fetcher's refusals of a 200's body: the answer came, its body was refused. */
const BODY_REFUSALS: ReadonlySet<string> = new Set(['content_type', 'content_encoding', 'body_too_large']);
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A 200 waiting for its body's verdict. */
interface PendingBody {
  entry: DocumentFetch;
  body: Uint8Array;
  parsed: unknown;
}

export function createFetchLogRecorder(deps: FetchLogRecorderDeps): FetchLogRecorder {
  const { store, clock } = deps;
  // Keyed by URL: the cache fetches one URL at a time (single flight), so one of each at most.
  const bodies = new Map<string, PendingBody>();
  const notModified = new Map<string, DocumentFetch>();
  const writing = new Set<Promise<void>>();
  let lastPurge = Number.NEGATIVE_INFINITY;

  function track(task: Promise<void>): void {
    writing.add(task);
    void task.finally(() => writing.delete(task));
  }

  async function purgeNowAndThen(): Promise<void> {
    const now = clock();
    if (now - lastPurge < HOUR_MS) return;
    lastPurge = now;
    await store.documentFetches.purge({
      before: now - deps.retention.days * DAY_MS,
      keepPerClient: deps.retention.entries,
    });
  }

  /** Writes an entry off the caller's path; a failed fetch only for a stored client. */
  function write(entry: DocumentFetch, before?: () => Promise<unknown>): void {
    track(
      (async () => {
        if (entry.outcome === 'refused' || entry.outcome === 'failed') {
          if ((await store.clients.get(entry.clientId)) === undefined) return;
        }
        if (before !== undefined)
          await before().catch((error: unknown) => deps.onError(error, 'ownership drift check failed'));
        await store.documentFetches.record(entry);
        await purgeNowAndThen();
      })().catch((error: unknown) => deps.onError(error, 'fetch log entry lost')),
    );
  }

  function base(url: string, at: number): DocumentFetch {
    return { clientId: url, host: URL.parse(url)?.hostname ?? '', at, durationMs: 0, outcome: 'failed' };
  }

  function answered(url: string, at: number, response: SafeResponse): DocumentFetch {
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return {
      ...base(url, at),
      durationMs: clock() - at,
      status: response.status,
      headers,
      ...(response.remoteAddress === undefined ? {} : { remoteAddress: response.remoteAddress }),
      ...(response.tls === undefined ? {} : { tls: response.tls }),
    };
  }

  function thrown(url: string, at: number, error: unknown): DocumentFetch {
    const reason = fetchFailureReason(error);
    const peer = isSafeFetchError(error) ? error : undefined;
    const bodyRefused = BODY_REFUSALS.has(reason);
    const status = peer?.status ?? (bodyRefused ? 200 : undefined);
    return {
      ...base(url, at),
      durationMs: clock() - at,
      outcome: bodyRefused ? 'refused' : 'failed',
      reason,
      ...(status === undefined ? {} : { status }),
      ...(peer?.remoteAddress === undefined ? {} : { remoteAddress: peer.remoteAddress }),
      ...(peer?.certificate === undefined ? {} : { tls: peer.certificate }),
    };
  }

  function refusedBody(pending: PendingBody, reason: string): DocumentFetch {
    return {
      ...pending.entry,
      outcome: 'refused',
      reason,
      digest: digestOf(pending.body),
      body: new TextDecoder().decode(pending.body).slice(0, MAX_REFUSED_BODY),
    };
  }

  return {
    fetch(inner) {
      return async (input, init) => {
        const url = String(input);
        const at = clock();
        let response: SafeResponse;
        try {
          response = await inner(input, init);
        } catch (error) {
          write(thrown(url, at, error));
          throw error;
        }
        const entry = answered(url, at, response);
        if (response.status === 304) {
          notModified.set(url, entry);
          return response;
        }
        const pending: PendingBody = { entry, body: response.body, parsed: undefined };
        bodies.delete(url);
        return {
          ...response,
          json: () => {
            try {
              pending.parsed = response.json();
            } catch (error) {
              // The cache refuses it as invalid_json (metadata-document-cache.ts).
              write(refusedBody(pending, 'invalid_json'));
              throw error;
            }
            bodies.set(url, pending);
            return pending.parsed;
          },
        };
      };
    },

    validate(inner) {
      return async (parsed, url) => {
        const pending = bodies.get(url);
        // Identity: the very object this fetch's json() returned, not a body adopted from the store.
        const ours = pending !== undefined && pending.parsed === parsed && parsed !== undefined;
        if (ours) bodies.delete(url);
        let value: Awaited<ReturnType<typeof inner>>;
        try {
          value = await inner(parsed, url);
        } catch (error) {
          if (ours) write(refusedBody(pending, fetchFailureReason(error)));
          throw error;
        }
        if (ours) {
          const entry: DocumentFetch = {
            ...pending.entry,
            outcome: 'accepted',
            digest: digestOf(pending.body),
          };
          // Awaited: a hold must be in place before the cache hands the new version to anyone.
          try {
            await deps.drift.check(url, entry, { parsed, digest: entry.digest! });
          } catch (error) {
            deps.onError(error, 'ownership drift check failed');
          }
          write(entry);
        }
        return value;
      };
    },

    onEvent(event) {
      const entry = notModified.get(event.url);
      if (entry === undefined) return;
      if (event.type === 'revalidated') {
        notModified.delete(event.url);
        const confirmed: DocumentFetch = { ...entry, outcome: 'not_modified' };
        write(confirmed, () => deps.drift.check(event.url, confirmed));
      } else if (event.type === 'fetch_failed') {
        notModified.delete(event.url);
        write({
          ...entry,
          outcome: 'failed',
          ...(event.reason === undefined ? {} : { reason: event.reason }),
        });
      }
    },

    async flush() {
      while (writing.size > 0) await Promise.all([...writing]);
    },
  };
}
