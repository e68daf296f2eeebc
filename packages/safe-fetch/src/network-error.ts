/**
 * What a failed fetch is called (errors.ts): a network failure named by its code (TLS, DNS, connect,
 * deadline, a broken connection), and a SafeFetchError raised deep in a connect callback found again
 * under the wrappers undici puts around it.
 */
import { SafeFetchError } from './errors.ts';

const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
]);
const connectCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);
const deadlineCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Finds a SafeFetchError raised inside the connector (it may come back wrapped). */
export function findSafeFetchError(error: unknown): SafeFetchError | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof SafeFetchError) return e;
    if (e instanceof AggregateError) {
      const inner = e.errors.map(findSafeFetchError).find((x) => x !== undefined);
      if (inner !== undefined) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Names a network failure by its code: TLS, connect, deadline, or a broken connection. */
export function classifyNetworkError(error: unknown, url: string, connected: boolean): SafeFetchError {
  const codes = [error, ...(error instanceof AggregateError ? error.errors : [])].map(errorCode);
  const message = error instanceof Error ? error.message : String(error);
  if (codes.some((c) => deadlineCodes.has(c))) {
    return new SafeFetchError('deadline_exceeded', `deadline exceeded: ${message}`, { url, cause: error });
  }
  if (codes.some((c) => tlsCodes.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_'))) {
    return new SafeFetchError('tls', `TLS failed: ${message}`, { url, cause: error });
  }
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN')) {
    return new SafeFetchError('dns_failure', `cannot resolve: ${message}`, { url, cause: error });
  }
  if (!connected && codes.some((c) => connectCodes.has(c))) {
    return new SafeFetchError('connect_failed', `connect failed: ${message}`, { url, cause: error });
  }
  return new SafeFetchError('network_error', `network error: ${message}`, { url, cause: error });
}
