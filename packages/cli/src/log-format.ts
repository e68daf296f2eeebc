import { createLogger } from '@gatehouse-oauth/server';
import type { Logger } from 'pino';
import type { GatehouseConfig } from './config.ts';

export type LogFormat = 'json' | 'pretty';

/**
 * `log_format` unset: readable lines for a person at a terminal, one JSON object per line for
 * everything else (a log collector, a file, a pipe).
 */
export function chooseLogFormat(configured: LogFormat | undefined, stdoutIsTerminal: boolean): LogFormat {
  return configured ?? (stdoutIsTerminal ? 'pretty' : 'json');
}

/**
 * The process's logger, on stdout in the configured format. JSON goes straight to pino's own
 * destination (nothing added per line); pretty is pino-pretty in this thread, loaded only when
 * chosen, synchronous so the last lines are not lost when the process exits.
 */
export async function cliLogger(config: Pick<GatehouseConfig, 'logLevel' | 'logFormat'>): Promise<Logger> {
  const terminal = process.stdout.isTTY === true;
  if (chooseLogFormat(config.logFormat, terminal) === 'json') return createLogger({ level: config.logLevel });
  const { default: pretty } = await import('pino-pretty');
  return createLogger({
    level: config.logLevel,
    destination: pretty({
      colorize: terminal,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      // Said once in the banner, the same on every line.
      ignore: 'pid,hostname,service',
      // A request line's `error` is an OAuth error code, not an Error to print on lines of its own.
      errorLikeObjectKeys: ['err'],
    }),
  });
}
