/**
 * The admin API's document freshness operations (issue #14, item 5): what they answer, as zod
 * schemas (the OpenAPI document is generated from them, admin-openapi.ts) and as views of the
 * service's results (cimd/document-freshness.ts). Kept beside admin-schemas.ts and admin-views.ts,
 * in their style: snake_case members, ISO 8601 times, absent members left out.
 */
import { z } from 'zod';
import type { EvictResult, RefreshResult } from '../cimd/document-freshness.ts';

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });
const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

export const documentRefreshSchema = z
  .strictObject({
    client_id: z.string(),
    outcome: z.enum(['changed', 'unchanged', 'discovered', 'failed']).meta({
      description:
        'changed: a new version (the change policy applied to it); unchanged: the same version confirmed; discovered: the first version of a client not known before; failed: no usable answer, nothing changed',
    }),
    digest: z.string().optional().meta({ description: 'SHA-256 (base64url) of the version in use' }),
    previous_digest: z.string().optional().meta({ description: 'changed: the version it replaced' }),
    fetched_at: timestamp
      .optional()
      .meta({ description: 'when the origin last confirmed the version in use' }),
    expires_at: timestamp.optional().meta({ description: 'fresh until then' }),
    reason: z
      .string()
      .optional()
      .meta({ description: 'failed: the stable reason (docs/errors.md), e.g. cimd_connect_failed' }),
    description: z.string().optional().meta({ description: 'failed: what the reason means for this client' }),
    stale_until: timestamp.optional().meta({
      description:
        'failed because the origin is down: this instance keeps serving the last good version until then (stale-if-error)',
    }),
  })
  .meta({ id: 'DocumentRefresh', description: "what re-fetching a client's metadata document found" });

export const documentEvictionSchema = z
  .strictObject({
    client_id: z.string(),
    digest: z
      .string()
      .optional()
      .meta({ description: 'the latest recorded version, used by no instance now' }),
    evicted_at: timestamp,
  })
  .meta({
    id: 'DocumentEviction',
    description: "a client's metadata document dropped on every instance; its next use fetches it anew",
  });

export type DocumentRefreshJson = z.output<typeof documentRefreshSchema>;
export type DocumentEvictionJson = z.output<typeof documentEvictionSchema>;

/** The members that are set; an absent one is left out of the JSON. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

export function documentRefreshJson(result: RefreshResult): DocumentRefreshJson {
  return defined({
    client_id: result.clientId,
    outcome: result.outcome,
    digest: result.digest,
    previous_digest: result.previousDigest,
    fetched_at: iso(result.fetchedAt),
    expires_at: iso(result.expiresAt),
    reason: result.reason,
    description: result.description,
    stale_until: iso(result.staleUntil),
  });
}

export function documentEvictionJson(result: EvictResult): DocumentEvictionJson {
  return defined({ client_id: result.clientId, digest: result.digest, evicted_at: iso(result.evictedAt)! });
}
