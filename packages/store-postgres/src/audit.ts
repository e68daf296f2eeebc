import type { AuditFilter, AuditPosition, AuditStore } from '@gatehouse-oauth/server';
import type { PostgresConnection } from './connection.ts';
import { postgresColumns, records, rows } from './rows.ts';

/**
 * The WHERE clause of the filters given, and only those: a `($1::text IS NULL OR col = $1)` form
 * is planned once for every value, so PostgreSQL's generic plan would not use the (client_id, at),
 * (user_id, at), (type, at) or partial (actor, at) index. Those indexes give the `at` order; the
 * id only orders events of one millisecond, which an incremental sort handles.
 */
function whereOf(filter: AuditFilter, after: AuditPosition | undefined) {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    values.push(value);
    conditions.push(condition(`$${values.length}`));
  };
  if (filter.type !== undefined) add((p) => `type = ${p}`, filter.type);
  if (filter.clientId !== undefined) add((p) => `client_id = ${p}`, filter.clientId);
  if (filter.userId !== undefined) add((p) => `user_id = ${p}`, filter.userId);
  if (filter.actor !== undefined) add((p) => `actor = ${p}`, filter.actor);
  if (filter.since !== undefined) add((p) => `at >= ${p}`, filter.since);
  if (filter.until !== undefined) add((p) => `at < ${p}`, filter.until);
  if (after !== undefined) {
    add((p) => `at <= ${p}`, after.at);
    // `at <= …` bounds the index range; this only sorts out the one millisecond of `after`.
    add((p) => `(at < $${values.length - 1} OR id < ${p})`, after.seq);
  }
  return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, values };
}

export function postgresAuditStore({ query, count }: PostgresConnection): AuditStore {
  const select = (filter: AuditFilter, limit: number | undefined, after?: AuditPosition) => {
    const { where, values } = whereOf(filter, after);
    // id breaks ties between events of the same millisecond: later appended, listed first.
    return query(
      `SELECT * FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`,
      [...values, limit ?? null],
    );
  };
  return {
    async append(event) {
      await query(
        'INSERT INTO audit_events (at, type, client_id, user_id, reason, detail, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        rows.auditEventRow(event),
      );
    },
    async list(options = {}) {
      const { limit, ...filter } = options;
      return (await select(filter, limit)).map(records.auditEventFromRow);
    },
    async page(filter, { limit, after }) {
      // One more than asked says whether there is a next page without a second read.
      const found = await select(filter, limit + 1, after);
      const page = found.slice(0, limit);
      const last = page.at(-1);
      return {
        events: page.map(records.auditEventFromRow),
        ...(found.length > limit && last !== undefined
          ? { next: { at: postgresColumns.int(last, 'at'), seq: postgresColumns.int(last, 'id') } }
          : {}),
      };
    },
    async purgeBefore(before, limit) {
      // Oldest first through the `at` index, at most `limit` rows per statement. SKIP LOCKED: an
      // instance purging at the same time takes other rows instead of waiting for these, and no
      // row is deleted (or counted) twice.
      return count(
        `DELETE FROM audit_events WHERE id IN
           (SELECT id FROM audit_events WHERE at < $1 ORDER BY at, id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
    },
  };
}
