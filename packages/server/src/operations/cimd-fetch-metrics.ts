import { isSafeFetchError, type SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { ServerMetrics } from '../metrics.ts';

/**
 * The metadata document cache's fetcher, counted: every network fetch of a Client ID Metadata
 * Document by outcome (`ok` 200, `not_modified` 304 on revalidation, `failed`: refused by the
 * hardened fetcher or failed on the network, with its SafeFetchError reason, else `other`) in
 * `gatehouse_cimd_fetches_total`. Fetches the governor sheds never get here; they are counted in
 * `gatehouse_cimd_governor_rejections_total`. A body refused by validation after an `ok` fetch is
 * counted in `gatehouse_cimd_refusals_total`.
 */
export function countedCimdFetch(fetch: SafeFetch, metrics: ServerMetrics): SafeFetch {
  return async (url, init) => {
    try {
      const response = await fetch(url, init);
      metrics.cimdFetches.inc({ outcome: response.status === 304 ? 'not_modified' : 'ok', reason: 'none' });
      return response;
    } catch (error) {
      metrics.cimdFetches.inc({
        outcome: 'failed',
        reason: isSafeFetchError(error) ? error.reason : 'other',
      });
      throw error;
    }
  };
}
