/**
 * Reading the audit log, as the operator asks for it (issue #14, item 6): `gatehouse audit`, the
 * admin API's GET /admin/v1/audit and its JSONL export all come through here. Filters arrive as an
 * operator writes them (an account name, ISO 8601 times) and are read into the store's filter;
 * pages are walked by an opaque cursor; an export is a stream of pages, never the whole log in
 * memory. Refusals are OAuthErrors with stable reasons (docs/errors.md, "Audit log").
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { AuditEvent, AuditFilter, AuditPosition, AuditStore, UserStore } from '../store/store.ts';

/** The filters as written: every member optional, all given must match. */
export interface AuditQueryInput {
  clientId?: string | undefined;
  /** An account's name, looked up in the store's users; refused when there is no such account. */
  user?: string | undefined;
  /** An account's id, as stored on the events (also that of an account removed since). */
  userId?: string | undefined;
  type?: string | undefined;
  actor?: string | undefined;
  /** ISO 8601: a date (its first instant, UTC) or a date-time with `Z` or an offset; inclusive. */
  since?: string | undefined;
  /** The same; exclusive, so `--since D --until E` and `--since E` never share an event. */
  until?: string | undefined;
}

export interface AuditQueryPage {
  events: AuditEvent[];
  /** Pass it back as `cursor` for the next page; absent on the last page. */
  cursor?: string;
}

export interface AuditQuery {
  /** The store filter the input names: times read, an account name resolved to its id. */
  filter(input: AuditQueryInput): Promise<AuditFilter>;
  /** One page, newest first, after `cursor` (a previous page's). */
  page(filter: AuditFilter, options: { limit: number; cursor?: string | undefined }): Promise<AuditQueryPage>;
  /**
   * Every matching event, newest first, at most `limit`, read from the store a page at a time
   * (`pageSize`), so an export of millions of events holds one page in memory.
   */
  stream(
    filter: AuditFilter,
    options?: { limit?: number | undefined; pageSize?: number },
  ): AsyncGenerator<AuditEvent>;
}

/** Events read from the store per page of a stream: large enough that a round trip is cheap per event. */
export const AUDIT_STREAM_PAGE = 500;

export function createAuditQuery(deps: {
  audit: Pick<AuditStore, 'page'>;
  users: Pick<UserStore, 'findByUsername'>;
}): AuditQuery {
  return {
    async filter(input) {
      const since = input.since === undefined ? undefined : parseAuditTime(input.since, 'since');
      const until = input.until === undefined ? undefined : parseAuditTime(input.until, 'until');
      if (since !== undefined && until !== undefined && since > until)
        throw auditTimeInvalid(`since (${input.since}) is after until (${input.until})`);
      let userId = input.userId;
      if (input.user !== undefined) {
        const user = await deps.users.findByUsername(input.user);
        if (user === undefined)
          throw new OAuthError('invalid_request', {
            status: 404,
            reason: 'user_not_found',
            description: `no account named ${input.user}`,
          });
        if (userId !== undefined && userId !== user.id)
          throw new OAuthError('invalid_request', {
            reason: 'audit_filter_conflict',
            description: `the account named ${input.user} is not ${userId}`,
          });
        userId = user.id;
      }
      return defined({
        type: input.type,
        clientId: input.clientId,
        userId,
        actor: input.actor,
        since,
        until,
      });
    },

    async page(filter, { limit, cursor }) {
      const after = cursor === undefined ? undefined : decodeAuditCursor(cursor);
      const page = await deps.audit.page(filter, { limit, ...(after === undefined ? {} : { after }) });
      return {
        events: page.events,
        ...(page.next === undefined ? {} : { cursor: encodeAuditCursor(page.next) }),
      };
    },

    async *stream(filter, { limit = Number.POSITIVE_INFINITY, pageSize = AUDIT_STREAM_PAGE } = {}) {
      let left = limit;
      let after: AuditPosition | undefined;
      while (left > 0) {
        const page = await deps.audit.page(filter, {
          limit: Math.min(pageSize, left),
          ...(after === undefined ? {} : { after }),
        });
        for (const event of page.events) yield event;
        left -= page.events.length;
        if (page.next === undefined) return;
        after = page.next;
      }
    },
  };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO 8601 date (its first instant, UTC) or date-time with `Z` or an offset, as epoch ms. A
 * date-time without a zone is refused: read as this machine's local time it would mean different
 * instants on the operator's laptop and on the server.
 */
export function parseAuditTime(text: string, name: string): number {
  const match = DATE.exec(text) ?? DATE_TIME.exec(text);
  const at = match === null ? Number.NaN : Date.parse(match.length === 4 ? `${text}T00:00:00Z` : text);
  // Date.parse rolls 30 February over into March: the day must exist in its month.
  const [year, month, day] = (match ?? []).slice(1, 4).map(Number);
  const real =
    match !== null && new Date(Date.UTC(year!, month! - 1, day!)).getUTCDate() === day && Number.isFinite(at);
  if (!real)
    throw auditTimeInvalid(
      `${name} must be an ISO 8601 date (2026-11-23) or date-time with a zone (2026-11-23T12:00:00Z), not ${text}`,
    );
  return at;
}

/** A position as an opaque cursor: what a caller keeps is a token, not a promise of a format. */
export function encodeAuditCursor(position: AuditPosition): string {
  return Buffer.from(`${position.at}.${position.seq}`).toString('base64url');
}

export function decodeAuditCursor(cursor: string): AuditPosition {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const at = Number(match?.[1]);
  const seq = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(at) || !Number.isSafeInteger(seq))
    throw new OAuthError('invalid_request', {
      reason: 'audit_cursor_invalid',
      description: 'cursor is not one this server gave (pass back the cursor of the previous page)',
    });
  return { at, seq };
}

function auditTimeInvalid(description: string): OAuthError {
  return new OAuthError('invalid_request', { reason: 'audit_time_invalid', description });
}

function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
