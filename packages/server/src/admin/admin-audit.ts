/**
 * The admin API's audit operations (issue #14, item 6): GET /admin/v1/audit, a page at a time with
 * a cursor, and GET /admin/v1/audit.jsonl, every matching event streamed as JSON Lines. Both read
 * through the same query as `gatehouse audit` (audit/audit-query.ts), with the same filters.
 */
import type { Logger } from 'pino';
import type { AuditQuery, AuditQueryInput } from '../audit/audit-query.ts';
import type { AuditEvent } from '../store/store.ts';
import { ADMIN_OPERATIONS } from './admin-openapi.ts';
import { readQuery } from './admin-query.ts';
import type { AuditPageJson } from './admin-schemas.ts';
import { auditEventJson } from './admin-views.ts';

/** Characters gathered into one chunk of an export: a socket write per event would cost more than the event. */
const CHUNK_CHARACTERS = 64 * 1024;

export function auditHandlers(auditLog: AuditQuery, logger: Logger) {
  return {
    listAudit: async ({ request }: { request: Request }): Promise<AuditPageJson> => {
      const { limit, cursor, ...filters } = readQuery(request, ADMIN_OPERATIONS.listAudit.query);
      const page = await auditLog.page(await auditLog.filter(inputOf(filters)), { limit, cursor });
      return {
        events: page.events.map(auditEventJson),
        ...(page.cursor === undefined ? {} : { next_cursor: page.cursor }),
      };
    },
    exportAudit: async ({ request }: { request: Request }): Promise<Response> => {
      const { limit, ...filters } = readQuery(request, ADMIN_OPERATIONS.exportAudit.query);
      const events = auditLog.stream(await auditLog.filter(inputOf(filters)), { limit });
      // The first page is read before the answer starts: a store that cannot be reached is a 503
      // with its JSON body, not a 200 cut short.
      const first = await events.next();
      return jsonLinesResponse(first, events, logger);
    },
  };
}

function inputOf(filters: {
  client_id?: string | undefined;
  user?: string | undefined;
  user_id?: string | undefined;
  type?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}): AuditQueryInput {
  return {
    clientId: filters.client_id,
    user: filters.user,
    userId: filters.user_id,
    type: filters.type,
    actor: filters.actor,
    since: filters.since,
    until: filters.until,
  };
}

/**
 * JSON Lines, written as the consumer reads: each pull turns events into lines until a chunk is
 * full, so the store is read no faster than the client takes the answer. A failure after the
 * first line can only end the stream early (logged); a client that goes away stops the reading.
 */
function jsonLinesResponse(
  first: IteratorResult<AuditEvent>,
  events: AsyncGenerator<AuditEvent>,
  logger: Logger,
): Response {
  const encoder = new TextEncoder();
  let pending: IteratorResult<AuditEvent> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        let chunk = '';
        while (chunk.length < CHUNK_CHARACTERS) {
          const next = pending ?? (await events.next());
          pending = undefined;
          if (next.done === true) {
            if (chunk !== '') controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${JSON.stringify(auditEventJson(next.value))}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      } catch (error) {
        logger.error({ err: error }, 'audit export ended early');
        controller.error(error);
      }
    },
    async cancel() {
      await events.return(undefined);
    },
  });
  return new Response(body, {
    headers: { 'content-type': 'application/jsonl; charset=utf-8', 'cache-control': 'no-store' },
  });
}
