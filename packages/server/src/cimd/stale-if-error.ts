/**
 * Stale-if-error for Client ID Metadata Documents (issue #14, item 5; decision 0035, on the model
 * of RFC 5861 §4): when the origin fails at revalidation, the last good version keeps serving for a
 * bounded grace after its expiry, instead of the client failing with its host. Only a failure of
 * the origin qualifies, never an answer: a 404, an invalid document or a client_id mismatch is the
 * origin speaking (CIMD-CACHE-3/4), and a TLS failure or a refused address may be someone else
 * answering for the host. Pure functions.
 */
import { isSafeFetchError } from '@gatehouse-oauth/safe-fetch';

/** How long after a failed attempt the next one is made while the last good version is served. */
export const DEFAULT_STALE_RETRY_MS = 30_000;

/**
 * Whether a fetch failure says the origin could not answer (RFC 5861 §4: a 500, 502, 503 or 504,
 * which we widen to every 5xx; and no response at all: the name did not resolve, the connection
 * failed or broke, the deadline ran out).
 */
export function isOriginFailure(error: unknown): boolean {
  if (!isSafeFetchError(error)) return false;
  switch (error.reason) {
    case 'dns_failure':
    case 'connect_failed':
    case 'deadline_exceeded':
    case 'network_error':
      return true;
    case 'status_not_200':
      return error.status !== undefined && error.status >= 500 && error.status <= 599;
    default:
      return false;
  }
}

/**
 * Until when a version that expires at `expiresAt` may be served while its origin fails: the
 * grace after its expiry, or none when the origin said not to use it stale (`staleForbidden`:
 * must-revalidate, proxy-revalidate, no-cache, no-store; RFC 9111 §5.2.2.2 asks for an error
 * rather than a stale response "if the cache is disconnected").
 */
export function staleIfErrorUntil(expiresAt: number, staleForbidden: boolean, graceMs: number): number {
  return staleForbidden ? expiresAt : expiresAt + graceMs;
}

/** The stable reason of a failure, for events and marks: its `reason`, its `code`, or its name. */
export function reasonOf(error: unknown): string {
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string') return reason;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'error';
}
