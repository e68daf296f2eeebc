import { OAuthError } from '@gatehouse-oauth/core';
import type { Logger } from 'pino';

/**
 * A store that cannot reach its database (PostgreSQL restarting, a dropped connection, a pool wait
 * that timed out) marks the error it throws with this symbol (store-postgres/src/store-errors.ts
 * sets the same `Symbol.for` key), so the server maps it without knowing any driver's errors.
 */
const STORE_UNAVAILABLE = Symbol.for('gatehouse.store_unavailable');

export function isStoreUnavailableError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { [STORE_UNAVAILABLE]?: unknown })[STORE_UNAVAILABLE] === true
  );
}

/**
 * The answer to a request the store could not serve: 503 temporarily_unavailable with
 * `Retry-After: 1` (RFC 9110 §15.6.4), the pool reconnects by itself meanwhile. During an outage
 * every request fails this way, so the log line is one short warning with the driver's code, not a
 * stack per request.
 */
export function storeUnavailable(error: unknown, logger: Logger): OAuthError {
  const code = (error as { code?: unknown }).code;
  logger.warn(
    {
      ...(typeof code === 'string' ? { code } : {}),
      detail: error instanceof Error ? error.message : String(error),
    },
    'store unavailable',
  );
  return new OAuthError('temporarily_unavailable', {
    reason: 'store_unavailable',
    description: 'the service is temporarily unavailable; try again',
    status: 503,
    headers: { 'retry-after': '1' },
  });
}
