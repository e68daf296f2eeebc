import pino, { type Logger } from 'pino';
import { requestIdLogOptions } from './http/request-id.ts';

/** Field names whose values are secrets, wherever a structured field carries one. */
const SECRET_FIELDS = [
  'password',
  'client_secret',
  'code',
  'code_verifier',
  'refresh_token',
  'access_token',
  'token',
  'authorization',
  'cookie',
] as const;

/**
 * Where they are looked for: the line itself and the objects lines carry (an error, an audit
 * event's detail, a job's result, a request's headers or body). Named, not `*.field`: pino runs a
 * wildcard redaction over every field of every line, about 5 µs and 36 KB of garbage a line
 * (issue #18, docs/benchmarks.md), where a named path costs nothing on a line without its field.
 * A `code` on the line or on an error is an error's kind (`SQLITE_FULL`, `ECONNREFUSED`: what an
 * operator needs), never an authorization code, which only a body or an event's detail could hold.
 */
export const REDACTED_PATHS: readonly string[] = [
  '',
  'err.',
  'audit.detail.',
  'result.',
  'headers.',
  'body.',
].flatMap((container) =>
  SECRET_FIELDS.filter((field) => !(field === 'code' && (container === '' || container === 'err.'))).map(
    (field) => `${container}${field}`,
  ),
);

/**
 * pino JSON logs. Secrets never reach a log line: request logs name the path, never the query or
 * body, and the redaction list is a second net for anything that slips into a structured field.
 * Every line written while a request is served carries its `request_id` (http/request-id.ts).
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'gatehouse' },
      ...requestIdLogOptions,
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    options.destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
