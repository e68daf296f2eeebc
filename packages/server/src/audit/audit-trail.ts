import type { Logger } from 'pino';
import type { AuditEvent, AuditStore } from '../store/store.ts';

/**
 * Where audit events go after their log line (docs/extension-points.md, "audit sink"). Receives each
 * event once, with its time; the default appends it to the store's audit log. A sink that throws or
 * rejects loses that event only: the decision it records has already been made and stored.
 */
export type AuditSink = (event: AuditEvent) => void | Promise<void>;

/** Records an audit event; what every domain module that audits receives. */
export type Audit = (event: Omit<AuditEvent, 'at'>) => Promise<void>;

/** The default sink: the store's audit log (`gatehouse audit` and the admin surface read it there). */
export function storeAuditSink(audit: AuditStore): AuditSink {
  return (event) => audit.append(event);
}

/**
 * The server's audit function: stamps the time, tells `observe` (the metrics count events), writes
 * a log line, then hands the event to the sink. Built before anything that audits, so nothing
 * reaches for it through a half-built context.
 */
export function createAudit(deps: {
  logger: Logger;
  clock: () => number;
  sink: AuditSink;
  observe?: (event: Omit<AuditEvent, 'at'>) => void;
}): Audit {
  const { logger, clock, sink, observe } = deps;
  return async (event) => {
    const entry = { at: clock(), ...event };
    observe?.(event);
    // Every event is a log line first, so it survives even when the sink does not take it.
    logger.info({ audit: entry }, event.type);
    try {
      await sink(entry);
    } catch (error) {
      // Audit events follow the decision they record, which has already been stored: failing the
      // request now would tell the client its refresh failed after its token was rotated.
      logger.error({ err: error, audit: entry }, 'audit event not stored');
    }
  };
}
