import pino, { type Logger } from 'pino';
import { requestIdLogOptions } from './http/request-id.ts';

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
      redact: {
        paths: [
          '*.password',
          '*.client_secret',
          '*.code',
          '*.code_verifier',
          '*.refresh_token',
          '*.access_token',
          '*.token',
          '*.authorization',
          '*.cookie',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
