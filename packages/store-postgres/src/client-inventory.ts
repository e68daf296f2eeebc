import {
  type ClientInventoryStore,
  type ClientRecord,
  clientIndexTerms,
  createInventoryRows,
  INVENTORY_COLUMNS,
  type InventoryCandidates,
  type InventoryQuery,
  type InventorySort,
  installationCount,
  type ReachSelection,
} from '@gatehouse-oauth/server';
import type pg from 'pg';
import type { PostgresConnection } from './connection.ts';
import { jsonParameter, postgresColumns, records } from './rows.ts';

const inventoryRows = createInventoryRows(postgresColumns);

/**
 * Writes the index terms of a record (@gatehouse-oauth/server client-index-terms.ts) in place of
 * its old ones and takes it off client_index_pending (where the trigger noted the write), inside
 * the transaction that writes the record.
 */
export async function indexClient(client: pg.PoolClient, record: ClientRecord): Promise<void> {
  await client.query('DELETE FROM client_index WHERE client_id = $1', [record.clientId]);
  const terms = clientIndexTerms(record);
  await client.query(
    `INSERT INTO client_index (term, value, client_id)
     SELECT t.term, t.value, $2 FROM jsonb_to_recordset($1::jsonb) AS t(term text, value text)`,
    [jsonParameter(terms.map(([term, value]) => ({ term, value }))), record.clientId],
  );
  await client.query('DELETE FROM client_index_pending WHERE client_id = $1', [record.clientId]);
}

/** Deletes the index terms of clients whose records were just deleted (same transaction). */
export async function unindexClients(client: pg.PoolClient, clientIds: readonly string[]): Promise<void> {
  await client.query('DELETE FROM client_index WHERE client_id = ANY($1::text[])', [clientIds]);
  await client.query('DELETE FROM client_index_pending WHERE client_id = ANY($1::text[])', [clientIds]);
}

/** A last-seen time: the activity's, else the record's lastUsedAt (DCR touch), else 0: never. */
const SEEN = 'coalesce(a.last_seen_at, c.last_used_at, 0)';

const ORDER: Record<InventorySort, { key: string; direction: 'ASC' | 'DESC'; type: string }> = {
  client_id: { key: 'c.client_id', direction: 'ASC', type: 'text' },
  created: { key: 'c.created_at', direction: 'ASC', type: 'bigint' },
  last_seen: { key: SEEN, direction: 'DESC', type: 'bigint' },
};

/** Positional parameters, numbered as they are added. */
function parameters() {
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown, type: string): string {
      values.push(value);
      return `$${values.length}::${type}`;
    },
  };
}

/** One OR-group of candidates (see InventoryCandidates), as one IN-subquery (as the SQLite store). */
function group(add: (value: unknown, type: string) => string, candidates: InventoryCandidates): string {
  return `c.client_id IN (SELECT unnest(${add(candidates.clientIds, 'text[]')})
    UNION SELECT client_id FROM clients WHERE kind = ANY(${add(candidates.kinds, 'text[]')})
    UNION SELECT i.client_id FROM jsonb_to_recordset(${add(
      jsonParameter(candidates.terms.map(([term, value]) => ({ term, value }))),
      'jsonb',
    )}) AS t(term text, value text) JOIN client_index i ON i.term = t.term AND i.value = t.value)`;
}

function listStatement(query: InventoryQuery): { text: string; values: unknown[] } {
  const { values, add } = parameters();
  const where: string[] = [];
  if (query.kinds !== undefined) where.push(`c.kind = ANY(${add(query.kinds, 'text[]')})`);
  if (query.domain !== undefined)
    where.push(
      `c.client_id IN (SELECT client_id FROM client_index WHERE term = 'domain' AND value = ${add(query.domain, 'text')})`,
    );
  if (query.softwareId !== undefined)
    where.push(
      `c.client_id IN (SELECT client_id FROM client_index WHERE term = 'software_id' AND value = ${add(query.softwareId, 'text')})`,
    );
  if (query.owner !== undefined)
    where.push(
      `c.client_id IN (SELECT client_id FROM client_operator_fields WHERE owner = ${add(query.owner, 'text')})`,
    );
  if (query.label !== undefined)
    where.push(
      `c.client_id IN (SELECT client_id FROM client_operator_fields WHERE labels ? ${add(query.label, 'text')})`,
    );
  if (query.installationsOf !== undefined)
    where.push(`c.shared_registration = ${add(query.installationsOf, 'text')}`);
  if (query.withoutInstallations === true) where.push('c.shared_registration IS NULL');
  if (query.seenSince !== undefined) where.push(`${SEEN} >= ${add(query.seenSince, 'bigint')}`);
  if (query.idleBefore !== undefined)
    where.push(`coalesce(a.last_seen_at, c.last_used_at, c.created_at) < ${add(query.idleBefore, 'bigint')}`);
  for (const candidates of query.candidates ?? []) if (!candidates.all) where.push(group(add, candidates));
  const { key, direction, type } = ORDER[query.sort];
  if (query.after !== undefined) {
    const afterId = add(query.after.clientId, 'text');
    if (query.sort === 'client_id') where.push(`c.client_id > ${afterId}`);
    else {
      const afterKey = add(query.after.key, type);
      where.push(
        `(${key} ${direction === 'ASC' ? '>' : '<'} ${afterKey} OR (${key} = ${afterKey} AND c.client_id > ${afterId}))`,
      );
    }
  }
  const text = `SELECT ${INVENTORY_COLUMNS} FROM clients c
    LEFT JOIN client_operator_fields o ON o.client_id = c.client_id
    LEFT JOIN client_activity a ON a.client_id = c.client_id
    ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY ${key} ${direction}, c.client_id LIMIT ${add(query.limit, 'integer')}`;
  return { text, values };
}

/** The grants (or audit events) a reach selection selects, with its parameters from `add`. */
function selected(
  add: (value: unknown, type: string) => string,
  selection: ReachSelection,
  column = 'g.client_id',
  userColumn = 'g.user_id',
): string {
  if ('userId' in selection) return `${userColumn} = ${add(selection.userId, 'text')}`;
  const loopback = selection.loopback
    ? ` OR ${column} = 'http://localhost' OR starts_with(${column}, 'http://localhost/')
        OR starts_with(${column}, 'http://localhost?')`
    : '';
  return `(${column} = ANY(${add(selection.clientIds, 'text[]')})${loopback})`;
}

const LIVE_FAMILY = (now: string) =>
  `f.revoked_at IS NULL AND f.created_at IS NOT NULL AND f.expires_at > ${now}`;

export function postgresClientInventoryStore(connection: PostgresConnection): ClientInventoryStore {
  const { query, first, transaction } = connection;

  /**
   * Indexes what the trigger noted and no indexing write took off client_index_pending (records of
   * before migration 10, or of a writer that does not index). One empty read otherwise. The pending
   * rows are locked (SKIP LOCKED: an instance doing the same takes the others) and the records
   * read under a share lock, so a concurrent put waits, then writes its own terms after ours.
   */
  async function indexPending(): Promise<void> {
    if ((await first('SELECT 1 FROM client_index_pending LIMIT 1')) === undefined) return;
    await transaction(async (client) => {
      const { rows: pending } = await client.query(
        'SELECT client_id FROM client_index_pending FOR UPDATE SKIP LOCKED',
      );
      for (const { client_id: clientId } of pending) {
        const { rows } = await client.query('SELECT * FROM clients WHERE client_id = $1 FOR SHARE', [
          clientId,
        ]);
        if (rows[0] === undefined) await unindexClients(client, [String(clientId)]);
        else await indexClient(client, records.clientFromRow(rows[0]));
      }
    });
  }

  return {
    async list(inventoryQuery) {
      await indexPending();
      const { text, values } = listStatement(inventoryQuery);
      return (await query(text, values)).map(inventoryRows.inventoryRowFromRow);
    },
    async operatorFields(clientId) {
      const row = await first('SELECT * FROM client_operator_fields WHERE client_id = $1', [clientId]);
      return row === undefined ? undefined : inventoryRows.operatorFieldsFromRow(row);
    },
    async activity(clientId) {
      const row = await first('SELECT * FROM client_activity WHERE client_id = $1', [clientId]);
      return row === undefined ? undefined : inventoryRows.activityFromRow(row);
    },
    async putOperatorFields(fields) {
      return transaction(async (client) => {
        // A row lock cannot be taken on fields that do not exist yet: the insert comes first (it
        // waits for a concurrent inserter), then the row is locked and read (as governance's putRule).
        const values = inventoryRows.operatorFieldsRow(fields);
        const inserted = await client.query(
          `INSERT INTO client_operator_fields (client_id, owner, team, contact, labels, note, updated_by, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_id) DO NOTHING`,
          values,
        );
        if (inserted.rowCount === 1) return undefined;
        const { rows } = await client.query(
          'SELECT * FROM client_operator_fields WHERE client_id = $1 FOR UPDATE',
          [fields.clientId],
        );
        await client.query(
          `UPDATE client_operator_fields SET owner = $2, team = $3, contact = $4, labels = $5, note = $6,
             updated_by = $7, updated_at = $8 WHERE client_id = $1`,
          values,
        );
        return rows[0] === undefined ? undefined : inventoryRows.operatorFieldsFromRow(rows[0]);
      });
    },
    async deleteOperatorFields(clientId) {
      const row = await first('DELETE FROM client_operator_fields WHERE client_id = $1 RETURNING *', [
        clientId,
      ]);
      return row === undefined ? undefined : inventoryRows.operatorFieldsFromRow(row);
    },
    async recordActivity(clientId, kind, at) {
      const given = { authorization: null, token: null, refresh: null, [kind]: at };
      // One statement; greatest/least ignore NULLs, so any order of records gives the same row.
      // An installation's use is its shared registration's too (decision 0046).
      await query(
        `INSERT INTO client_activity (client_id, first_seen_at, last_seen_at, last_authorization_at,
           last_token_at, last_refresh_at)
         SELECT id, $2, $2, $3::bigint, $4::bigint, $5::bigint FROM (
           SELECT $1::text AS id
           UNION SELECT shared_registration FROM clients WHERE client_id = $1 AND shared_registration IS NOT NULL
         ) AS ids
         ON CONFLICT (client_id) DO UPDATE SET
           first_seen_at = least(client_activity.first_seen_at, excluded.first_seen_at),
           last_seen_at = greatest(client_activity.last_seen_at, excluded.last_seen_at),
           last_authorization_at = greatest(client_activity.last_authorization_at, excluded.last_authorization_at),
           last_token_at = greatest(client_activity.last_token_at, excluded.last_token_at),
           last_refresh_at = greatest(client_activity.last_refresh_at, excluded.last_refresh_at)`,
        [clientId, at, given.authorization, given.token, given.refresh],
      );
    },
    async reach(selection, { now, issuedSince }) {
      const statement = (build: (add: (value: unknown, type: string) => string) => string) => {
        const { values, add } = parameters();
        return query(build(add), values);
      };
      const live = (add: (value: unknown, type: string) => string) =>
        `g.revoked_at IS NULL AND ${selected(add, selection)}`;
      const [totals] = await statement(
        (add) => `SELECT count(DISTINCT g.user_id) AS users, count(DISTINCT g.client_id) AS clients,
            count(*) AS grants
          FROM grants g WHERE ${live(add)}`,
      );
      // Per redirect of the live grants, its machines and whether a grant of it has no session;
      // installationCount says what they add up to (decision 0044), as in every backend.
      const redirects = (
        await statement(
          (add) => `SELECT g.redirect_uri,
              count(DISTINCT CASE WHEN f.dpop_jkt IS NOT NULL THEN 'dpop:' || f.dpop_jkt
                WHEN f.id IS NOT NULL THEN 'family:' || f.id END) AS machines,
              bool_or(f.id IS NULL) AS bare
            FROM grants g LEFT JOIN token_families f ON f.grant_id = g.id AND ${LIVE_FAMILY(add(now, 'bigint'))}
            WHERE ${live(add)} GROUP BY g.client_id, g.redirect_uri`,
        )
      ).map((row) => ({
        redirectUri: String(row.redirect_uri),
        machines: Number(row.machines),
        bare: row.bare === true,
      }));
      const held = async (column: 'scope' | 'resources') =>
        (
          await statement(
            (add) => `SELECT j.value AS value, count(DISTINCT g.id) AS grants
              FROM grants g, jsonb_array_elements_text(g.${column}) AS j(value)
              WHERE ${live(add)} GROUP BY j.value ORDER BY j.value COLLATE "C"`,
          )
        ).map((row) => ({ value: String(row.value), grants: Number(row.grants) }));
      const [families] = await statement(
        (add) => `SELECT count(*) AS n FROM token_families f
          WHERE ${LIVE_FAMILY(add(now, 'bigint'))} AND f.grant_id IN (SELECT g.id FROM grants g WHERE ${live(add)})`,
      );
      const issuedBy = (add: (value: unknown, type: string) => string) =>
        `e.type = 'token.issued' AND ${selected(add, selection, 'e.client_id', 'e.user_id')}`;
      const issued = await statement(
        (
          add,
        ) => `SELECT s.since, (SELECT count(*) FROM audit_events e WHERE ${issuedBy(add)} AND e.at >= s.since) AS n
          FROM unnest(${add(issuedSince, 'bigint[]')}) WITH ORDINALITY AS s(since, position) ORDER BY s.position`,
      );
      const [last] = await statement(
        (add) => `SELECT max(e.at) AS at FROM audit_events e WHERE ${issuedBy(add)}`,
      );
      return {
        users: Number(totals?.users ?? 0),
        clients: Number(totals?.clients ?? 0),
        grants: Number(totals?.grants ?? 0),
        installations: installationCount(redirects),
        scopes: await held('scope'),
        resources: await held('resources'),
        liveFamilies: Number(families?.n ?? 0),
        tokensIssued: issued.map((row) => Number(row.n)),
        ...(last?.at === null || last?.at === undefined ? {} : { lastTokenAt: Number(last.at) }),
      };
    },
    async connections(selection, now) {
      const { values, add } = parameters();
      const at = add(now, 'bigint');
      const rows = await query(
        `SELECT g.*,
           (SELECT count(*) FROM token_families f WHERE f.grant_id = g.id AND ${LIVE_FAMILY(at)}) AS live_families,
           (SELECT max(f.created_at) FROM token_families f WHERE f.grant_id = g.id AND ${LIVE_FAMILY(at)}) AS last_family_at
         FROM grants g WHERE g.revoked_at IS NULL AND ${selected(add, selection)}
         ORDER BY g.user_id COLLATE "C", g.client_id COLLATE "C", g.redirect_uri COLLATE "C"`,
        values,
      );
      return rows.map((row) => ({
        grant: inventoryRows.grantFromRow(row),
        liveFamilies: Number(row.live_families),
        ...(row.last_family_at === null ? {} : { lastFamilyAt: Number(row.last_family_at) }),
      }));
    },
  };
}
