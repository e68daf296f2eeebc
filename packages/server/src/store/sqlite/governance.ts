import type { GovernanceStore } from '../governance-store.ts';
import type { SqliteConnection } from './connection.ts';
import { changed, changes, records, rows } from './rows.ts';

export function sqliteGovernanceStore({ sql, immediate, write }: SqliteConnection): GovernanceStore {
  return {
    async listRules() {
      return sql('SELECT * FROM governance_rules ORDER BY selector').all().map(records.ruleFromRow);
    },
    async putRule(rule) {
      // The read and the write under one write lock: a writer in another process on the file
      // replaces either this rule or the one before it, and each reports the one it replaced.
      return immediate(() => {
        const before = sql('SELECT * FROM governance_rules WHERE selector = ?').get(rule.selector);
        // Every column is written, so fields absent from the new rule are cleared (no merge).
        sql(
          `INSERT INTO governance_rules (selector, state, tier, owner, note, updated_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (selector) DO UPDATE SET
             state = excluded.state, tier = excluded.tier, owner = excluded.owner, note = excluded.note,
             updated_by = excluded.updated_by, created_at = excluded.created_at,
             updated_at = excluded.updated_at`,
        ).run(...rows.ruleRow(rule));
        return before === undefined ? undefined : records.ruleFromRow(before);
      });
    },
    async deleteRule(selector) {
      const row = sql('DELETE FROM governance_rules WHERE selector = ? RETURNING *').get(selector);
      return row === undefined ? undefined : records.ruleFromRow(row);
    },
    async listHolds() {
      return sql('SELECT * FROM client_holds ORDER BY client_id').all().map(records.holdFromRow);
    },
    async hold(hold) {
      sql(
        `INSERT INTO client_holds (client_id, reason, at) VALUES (?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET reason = excluded.reason, at = excluded.at`,
      ).run(...rows.holdRow(hold));
    },
    async release(clientId) {
      return changed(sql('DELETE FROM client_holds WHERE client_id = ?').run(clientId));
    },
    async recordAccessRequest({ clientId, userId, clientName, at }) {
      // One statement, counted by the row it updates: concurrent attempts are all counted. On the
      // authorization path, so it goes through the group commit.
      const request = { clientId, userId, clientName, firstAt: at, lastAt: at, attempts: 1 };
      await write(() =>
        sql(
          `INSERT INTO access_requests (client_id, user_id, client_name, first_at, last_at, attempts)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (client_id, user_id) DO UPDATE SET
             attempts = attempts + 1, last_at = max(last_at, excluded.last_at),
             client_name = coalesce(excluded.client_name, client_name)`,
        ).run(...rows.accessRequestRow(request)),
      );
    },
    async listAccessRequests(options = {}) {
      // client_id and user_id only make the order of one millisecond's requests deterministic.
      return sql(
        `SELECT * FROM access_requests WHERE (:clientId IS NULL OR client_id = :clientId)
         ORDER BY last_at DESC, client_id, user_id LIMIT :limit`,
      )
        .all({ clientId: options.clientId ?? null, limit: options.limit ?? -1 })
        .map(records.accessRequestFromRow);
    },
    async clearAccessRequests(clientId) {
      return changes(sql('DELETE FROM access_requests WHERE client_id = ?').run(clientId));
    },
  };
}
