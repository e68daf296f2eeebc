/**
 * Which failures mean "the database cannot be reached right now" rather than "this operation is
 * wrong": the server answers the first with 503 temporarily_unavailable (the client may retry, the
 * pool reconnects by itself), the second stays a 500. Only connection-level failures count: a
 * statement that reached PostgreSQL and was refused (a constraint, a syntax error) is a bug, and a
 * 503 would hide it.
 */

/**
 * The mark the server looks for (packages/server/src/http/store-unavailable.ts reads the same
 * `Symbol.for` key): set on an error the store rethrows, so the server needs no knowledge of pg.
 */
export const STORE_UNAVAILABLE: unique symbol = Symbol.for('gatehouse.store_unavailable');

/**
 * SQLSTATE class 08 (connection exception) and the operator-intervention codes a restart produces:
 * 57P01 admin_shutdown (`pg_ctl stop -m fast` ends live sessions), 57P02 crash_shutdown, 57P03
 * cannot_connect_now (still starting up or shutting down), 53300 too_many_connections.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of a connection that cannot be opened or that broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/**
 * node-postgres reports a dropped connection and a pool wait that timed out with plain Errors and
 * no code; these messages are its own (pg/lib/client.js, pg-pool/index.js).
 */
const MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/** True when `error` (or what it wraps) says the database is unreachable or the connection dropped. */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [STORE_UNAVAILABLE]?: unknown })[STORE_UNAVAILABLE] === true) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || SQLSTATES.has(code) || SOCKET_CODES.has(code)))
    return true;
  if (error instanceof Error && MESSAGES.test(error.message)) return true;
  // Connecting to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with an
  // AggregateError of one error per address.
  if (error instanceof AggregateError) return error.errors.some(isStoreUnavailable);
  return false;
}

/** The pg SQLSTATE or socket code of an unavailable-store error, for the log line. */
export function storeErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = storeErrorCode(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Marks `error` when it is a connection-level failure (see isStoreUnavailable) and returns it, for
 * `throw markStoreUnavailable(error)` on the store's error paths. The error keeps its own type,
 * message and code; only the mark is added, non-enumerable so logs are unchanged.
 */
export function markStoreUnavailable(error: unknown): unknown {
  if (isStoreUnavailable(error) && Object.isExtensible(error)) {
    Object.defineProperty(error, STORE_UNAVAILABLE, { value: true, enumerable: false, configurable: true });
  }
  return error;
}
