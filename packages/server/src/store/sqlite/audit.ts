import type { SQLInputValue } from 'node:sqlite';
import type { AuditFilter, AuditPosition, AuditStore } from '../audit-store.ts';
import type { SqliteConnection } from './connection.ts';
import { records, rows } from './rows.ts';

/**
 * The SELECT of a page: the WHERE clause of the filters given, and only those, since a
 * `(:x IS NULL OR col = :x)` form would keep SQLite from using the (actor, at) partial,
 * (user_id, at), (client_id, at) and (type, at) indexes. Each index ends with the rowid (`id`), so
 * `ORDER BY at DESC, id DESC` reads one index backwards, with no sort. Of several filters, the
 * likely narrowest drives (that order: an actor is rare, a type such as `token.issued` is most of
 * the log); the others are written `+col`, which keeps SQLite, which has no statistics here, from
 * picking a wider index. At most 2^7 texts, each prepared once (connection.ts caches them).
 */
export function auditSelect(filter: AuditFilter, after: AuditPosition | undefined) {
  const conditions: string[] = [];
  const parameters: Record<string, SQLInputValue> = {};
  let driving = true;
  const equal = (column: string, name: string, value: string | undefined) => {
    if (value === undefined) return;
    conditions.push(`${driving ? '' : '+'}${column} = :${name}`);
    parameters[name] = value;
    driving = false;
  };
  equal('actor', 'actor', filter.actor);
  equal('user_id', 'userId', filter.userId);
  equal('client_id', 'clientId', filter.clientId);
  equal('type', 'type', filter.type);
  if (filter.since !== undefined) {
    conditions.push('at >= :since');
    parameters.since = filter.since;
  }
  if (filter.until !== undefined) {
    conditions.push('at < :until');
    parameters.until = filter.until;
  }
  if (after !== undefined) {
    // `at <= :at` bounds the index range; the rest only sorts out the one millisecond of `after`.
    conditions.push('at <= :afterAt AND (at < :afterAt OR id < :afterSeq)');
    parameters.afterAt = after.at;
    parameters.afterSeq = after.seq;
  }
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  // id breaks ties between events of the same millisecond: later appended, listed first.
  return { text: `SELECT * FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT :limit`, parameters };
}

export function sqliteAuditStore({ sql, write }: SqliteConnection): AuditStore {
  const select = (filter: AuditFilter, limit: number | undefined, after?: AuditPosition) => {
    const { text, parameters } = auditSelect(filter, after);
    return sql(text).all({ ...parameters, limit: limit ?? -1 });
  };
  return {
    async append(event) {
      await write(() =>
        sql(
          'INSERT INTO audit_events (at, type, client_id, user_id, reason, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(...rows.auditEventRow(event)),
      );
    },
    async list(options = {}) {
      const { limit, ...filter } = options;
      return select(filter, limit).map(records.auditEventFromRow);
    },
    async page(filter, { limit, after }) {
      // One more than asked says whether there is a next page without a second read.
      const found = select(filter, limit + 1, after);
      const page = found.slice(0, limit);
      const last = page.at(-1);
      return {
        events: page.map(records.auditEventFromRow),
        ...(found.length > limit && last !== undefined
          ? { next: { at: Number(last.at), seq: Number(last.id) } }
          : {}),
      };
    },
    async purgeBefore(before, limit) {
      // Oldest first through the `at` index, at most `limit` rows per call: one call holds the
      // write lock only as long as that takes. The group commit serialises it with other writes.
      return write(
        () =>
          Number(
            sql(
              `DELETE FROM audit_events WHERE id IN
                 (SELECT id FROM audit_events WHERE at < ? ORDER BY at, id LIMIT ?)`,
            ).run(before, limit).changes,
          ),
        true,
      );
    },
  };
}
