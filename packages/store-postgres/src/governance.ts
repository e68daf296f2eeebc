import type { GovernanceStore, StoredRule } from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection, Row } from './connection.ts';
import { records, rows } from './rows.ts';

export function postgresGovernanceStore({
  query,
  first,
  count,
  transaction,
}: PostgresConnection): GovernanceStore {
  return {
    async listRules() {
      return (await query('SELECT * FROM governance_rules ORDER BY selector')).map(records.ruleFromRow);
    },
    async putRule(rule) {
      return transaction((client) => putRule(client, rule));
    },
    async deleteRule(selector) {
      // A put holding the rule's lock is waited for: what is returned is what it wrote.
      const row = await first('DELETE FROM governance_rules WHERE selector = $1 RETURNING *', [selector]);
      return row === undefined ? undefined : records.ruleFromRow(row);
    },
    async listHolds() {
      return (await query('SELECT * FROM client_holds ORDER BY client_id')).map(records.holdFromRow);
    },
    async hold(hold) {
      await query(
        `INSERT INTO client_holds (client_id, reason, at) VALUES ($1, $2, $3)
         ON CONFLICT (client_id) DO UPDATE SET reason = excluded.reason, at = excluded.at`,
        rows.holdRow(hold),
      );
    },
    async release(clientId) {
      return (await count('DELETE FROM client_holds WHERE client_id = $1', [clientId])) > 0;
    },
    async recordAccessRequest({ clientId, userId, clientName, at }) {
      // One statement: a concurrent first attempt makes this one wait for its row and then update
      // it, and each update adds to the committed count, so every attempt is counted.
      const request = { clientId, userId, clientName, firstAt: at, lastAt: at, attempts: 1 };
      await query(
        `INSERT INTO access_requests (client_id, user_id, client_name, first_at, last_at, attempts)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (client_id, user_id) DO UPDATE SET
           attempts = access_requests.attempts + 1,
           last_at = greatest(access_requests.last_at, excluded.last_at),
           client_name = coalesce(excluded.client_name, access_requests.client_name)`,
        rows.accessRequestRow(request),
      );
    },
    async listAccessRequests(options = {}) {
      // client_id and user_id only make the order of one millisecond's requests deterministic.
      const rows = await query(
        `SELECT * FROM access_requests WHERE ($1::text IS NULL OR client_id = $1::text)
         ORDER BY last_at DESC, client_id, user_id LIMIT $2`,
        [options.clientId ?? null, options.limit ?? null],
      );
      return rows.map(records.accessRequestFromRow);
    },
    async clearAccessRequests(clientId) {
      return count('DELETE FROM access_requests WHERE client_id = $1', [clientId]);
    },
  };
}

/**
 * GovernanceStore.putRule inside a transaction: insert a new rule, or lock the existing one, read
 * it and replace it. A row lock cannot be taken on a rule that does not exist yet, so the insert
 * comes first: ON CONFLICT waits for a concurrent inserter to commit, and the SELECT ... FOR UPDATE
 * after it (READ COMMITTED: a fresh snapshot, and the newest version of a row it waited for) reads
 * what that writer committed. Every put thus reports exactly the rule it replaced.
 */
async function putRule(client: pg.PoolClient, rule: StoredRule): Promise<StoredRule | undefined> {
  const values = rows.ruleRow(rule);
  for (;;) {
    const inserted = await client.query(
      `INSERT INTO governance_rules (selector, state, tier, owner, note, updated_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (selector) DO NOTHING`,
      values,
    );
    if ((inserted.rowCount ?? 0) > 0) return undefined;
    const locked = await client.query<Row>('SELECT * FROM governance_rules WHERE selector = $1 FOR UPDATE', [
      rule.selector,
    ]);
    const before = locked.rows[0];
    // Deleted between the two statements: there is no rule to replace, so insert again.
    if (before === undefined) continue;
    // Every column is written, so fields absent from the new rule are cleared (no merge).
    await client.query(
      `UPDATE governance_rules SET state = $2, tier = $3, owner = $4, note = $5, updated_by = $6,
         created_at = $7, updated_at = $8
       WHERE selector = $1`,
      values,
    );
    return records.ruleFromRow(before);
  }
}
