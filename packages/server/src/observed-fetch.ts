import { isSafeFetchError, type SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { ServerMetrics } from './metrics.ts';
import type { AuditEvent } from './store/store.ts';

/**
 * The server's one outbound fetcher, observed: every refusal of the hardened fetcher (a
 * special-purpose address, a redirect, a status other than 200, a cap or deadline), whatever it was
 * fetching (a metadata document, a jwks_uri, a logo), is counted by reason and written to the audit
 * log, then rethrown unchanged. Observing it here, once, means no caller can forget to.
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
          detail: { url: String(url).slice(0, 300) },
        }).catch(() => undefined);
      }
      throw error;
    }
  };
}
