/**
 * Reading the audit log stays an index read however large it grows (issue #14, item 6): for every
 * combination of filters, with and without a page position, SQLite's own query plan reads one
 * index in the order asked for (no temporary B-tree sorts the rows), and the index is the one of
 * the likely narrowest filter. Checked on the plan, not on a clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { auditSelect } from '../src/store/sqlite/audit.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { AuditFilter } from '../src/store/store.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-audit-plan-'));
after(() => rmSync(directory, { recursive: true, force: true }));

/** Each filter with a value, and the index it drives when it is the narrowest given. */
const FILTERS: [keyof AuditFilter, string | number, string][] = [
  ['actor', 'cli:alice', 'audit_events_actor'],
  ['userId', 'u1', 'audit_events_user_id'],
  ['clientId', 'c1', 'audit_events_client_id'],
  ['type', 'token.issued', 'audit_events_type'],
  ['since', 1, 'audit_events_at'],
  ['until', 2, 'audit_events_at'],
];

describe('sqlite audit queries', () => {
  it('read one index in order, the narrowest filter’s, for all 128 combinations', async () => {
    const path = join(directory, 'plan.db');
    await (await openSqliteStore({ path })).close();
    const db = new DatabaseSync(path);
    try {
      for (let mask = 0; mask < 2 ** FILTERS.length; mask++) {
        const chosen = FILTERS.filter((_, index) => (mask & (1 << index)) !== 0);
        const filter = Object.fromEntries(chosen.map(([name, value]) => [name, value])) as AuditFilter;
        const expected = chosen[0]?.[2] ?? 'audit_events_at';
        for (const position of [undefined, { at: 5, seq: 3 }]) {
          const { text, parameters } = auditSelect(filter, position);
          const plan = db
            .prepare(`EXPLAIN QUERY PLAN ${text}`)
            .all({ ...parameters, limit: 10 })
            .map((row) => String(row.detail))
            .join(' | ');
          const where = `${JSON.stringify(filter)}${position ? ' after a position' : ''}: ${plan}`;
          assert.doesNotMatch(plan, /TEMP B-TREE/, where);
          assert.match(plan, new RegExp(`USING INDEX ${expected}\\b`), where);
        }
      }
    } finally {
      db.close();
    }
  });
});
