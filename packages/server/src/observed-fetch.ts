import { isSafeFetchError, type SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { ServerMetrics } from './metrics.ts';
import type { AuditEvent } from './store/store.ts';

/**
 * The server's one outbound fetcher, observed: every refusal of the hardened fetcher (a
 * special-purpose address, a redirect, a status other than 200, a cap or deadline), whatever it was
 * fetching (a metadata document, a jwks_uri, a logo), is counted by reason and written to the audit
 * log (and so its log line) with the full detail, then rethrown unchanged. Observing it here, once,
 * means no caller can forget to.
 */
export function observedFetch(
  fetch: SafeFetch,
  metrics: ServerMetrics,
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>,
): SafeFetch {
  return async (url, init) => {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (isSafeFetchError(error)) {
        metrics.outboundRefusals.inc({ reason: error.reason });
        await audit({
          type: 'fetch.refused',
          reason: error.reason,
          detail: { ...fetchFailureDetail(error), url: String(url).slice(0, 300) },
        }).catch(() => undefined);
      }
      throw error;
    }
  };
}

/** Bound on each text in the detail: enough for a DNS or socket error, not a body. */
const MAX_DETAIL_TEXT = 300;

/**
 * Everything the server knows about a failed fetch, for the operator only (log line and audit
 * event): the fetcher's message and its fields (the refused address and its IANA range, the status,
 * the Location not followed, the cap, the refused media type) and the underlying error (DNS, socket,
 * TLS). None of it goes into an answer: public-fetch-descriptions.ts says what the client is told.
 */
export function fetchFailureDetail(error: unknown): Record<string, string | number> {
  const detail: Record<string, string | number> = {};
  if (!(error instanceof Error)) {
    detail.message = String(error).slice(0, MAX_DETAIL_TEXT);
    return detail;
  }
  detail.message = error.message.slice(0, MAX_DETAIL_TEXT);
  if (isSafeFetchError(error)) {
    for (const name of ['url', 'location', 'address', 'range', 'value'] as const) {
      const value = error[name];
      if (value !== undefined) detail[name] = value.slice(0, MAX_DETAIL_TEXT);
    }
    if (error.status !== undefined) detail.status = error.status;
    if (error.limit !== undefined) detail.limit = error.limit;
  }
  const cause: unknown = error.cause;
  if (cause !== undefined) {
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    detail.cause = text.slice(0, MAX_DETAIL_TEXT);
    const code = (cause as { code?: unknown } | null)?.code;
    if (typeof code === 'string') detail.cause_code = code;
  }
  return detail;
}
