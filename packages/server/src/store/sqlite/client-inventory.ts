import type { SQLInputValue } from 'node:sqlite';
import { installationCount } from '../../grants/installation.ts';
import { clientIndexTerms } from '../client-index-terms.ts';
import type {
  ClientInventoryStore,
  InventoryQuery,
  InventorySort,
  ReachSelection,
} from '../client-inventory-store.ts';
import type { ClientRecord } from '../client-store.ts';
import { createInventoryRows, INVENTORY_COLUMNS } from '../inventory-rows.ts';
import type { SqliteConnection } from './connection.ts';
import { records, sqliteColumns } from './rows.ts';

const inventoryRows = createInventoryRows(sqliteColumns);

/**
 * Writes the index terms of a record (../client-index-terms.ts) in place of its old ones, and
 * takes it off client_index_pending, where the database's trigger noted the write. The clients
 * aggregate calls it inside the transaction that writes the record.
 */
export function indexClient({ sql }: Pick<SqliteConnection, 'sql'>, record: ClientRecord): void {
  sql('DELETE FROM client_index WHERE client_id = ?').run(record.clientId);
  const insert = sql('INSERT INTO client_index (term, value, client_id) VALUES (?, ?, ?)');
  for (const [term, value] of clientIndexTerms(record)) insert.run(term, value, record.clientId);
  sql('DELETE FROM client_index_pending WHERE client_id = ?').run(record.clientId);
}

/** Deletes the index terms of a client whose record was just deleted (same transaction). */
export function unindexClient({ sql }: Pick<SqliteConnection, 'sql'>, clientId: string): void {
  sql('DELETE FROM client_index WHERE client_id = ?').run(clientId);
  sql('DELETE FROM client_index_pending WHERE client_id = ?').run(clientId);
}

/** A last-seen time: the activity's, else the record's lastUsedAt (DCR touch), else 0: never. */
const SEEN = 'coalesce(a.last_seen_at, c.last_used_at, 0)';

const ORDER: Record<InventorySort, { key: string; direction: 'ASC' | 'DESC' }> = {
  client_id: { key: 'c.client_id', direction: 'ASC' },
  created: { key: 'c.created_at', direction: 'ASC' },
  last_seen: { key: SEEN, direction: 'DESC' },
};

/**
 * One OR-group of candidates (see InventoryCandidates) as one IN-subquery: no OR for the planner
 * to scan the whole table with, so a sparse group drives the query from what it selects.
 */
function group(name: string): string {
  return `c.client_id IN (SELECT value FROM json_each(:${name}Ids)
    UNION SELECT client_id FROM clients WHERE kind IN (SELECT value FROM json_each(:${name}Kinds))
    UNION SELECT i.client_id FROM json_each(:${name}Terms) t
      JOIN client_index i ON i.term = t.value ->> 0 AND i.value = t.value ->> 1)`;
}

/**
 * The listing's statement with only the filters given: a filter as `(:x IS NULL OR …)` would keep
 * SQLite from seeking by it (or by the cursor), and every page would scan from the first row.
 * Each filter is an IN-subquery on an indexed lookup where one exists, so a sparse filter drives
 * the query and a dense one is checked row by row in client_id order until the page is full.
 */
function listStatement(query: InventoryQuery): { text: string; parameters: Record<string, SQLInputValue> } {
  const where: string[] = [];
  const parameters: Record<string, SQLInputValue> = { limit: query.limit };
  const given = (name: string, value: SQLInputValue | undefined, condition: string) => {
    if (value === undefined) return;
    parameters[name] = value;
    where.push(condition);
  };
  // `+c.kind`: not by the reaping index (kind, …), which would sort every client of a kind to
  // return the first page of it; in client_id order, a page of even a rare kind is found quickly.
  given(
    'kinds',
    query.kinds && JSON.stringify(query.kinds),
    '+c.kind IN (SELECT value FROM json_each(:kinds))',
  );
  given(
    'domain',
    query.domain,
    `c.client_id IN (SELECT client_id FROM client_index WHERE term = 'domain' AND value = :domain)`,
  );
  given(
    'softwareId',
    query.softwareId,
    `c.client_id IN (SELECT client_id FROM client_index WHERE term = 'software_id' AND value = :softwareId)`,
  );
  given(
    'owner',
    query.owner,
    'c.client_id IN (SELECT client_id FROM client_operator_fields WHERE owner = :owner)',
  );
  given(
    'label',
    query.label,
    `c.client_id IN (SELECT f.client_id FROM client_operator_fields f, json_each(f.labels) l WHERE l.value = :label)`,
  );
  given('installationsOf', query.installationsOf, 'c.shared_registration = :installationsOf');
  if (query.withoutInstallations === true) where.push('c.shared_registration IS NULL');
  given('seenSince', query.seenSince, `${SEEN} >= :seenSince`);
  given(
    'idleBefore',
    query.idleBefore,
    'coalesce(a.last_seen_at, c.last_used_at, c.created_at) < :idleBefore',
  );
  const groups = (query.candidates ?? []).filter((candidates) => !candidates.all);
  groups.forEach((candidates, index) => {
    const name = `g${index}`;
    parameters[`${name}Ids`] = JSON.stringify(candidates.clientIds);
    parameters[`${name}Kinds`] = JSON.stringify(candidates.kinds);
    parameters[`${name}Terms`] = JSON.stringify(candidates.terms);
    where.push(group(name));
  });
  const { key, direction } = ORDER[query.sort];
  if (query.after !== undefined) {
    parameters.afterId = query.after.clientId;
    if (query.sort === 'client_id') where.push('c.client_id > :afterId');
    else {
      parameters.afterKey = query.after.key;
      const after = direction === 'ASC' ? '>' : '<';
      where.push(`(${key} ${after} :afterKey OR (${key} = :afterKey AND c.client_id > :afterId))`);
    }
  }
  const text = `SELECT ${INVENTORY_COLUMNS} FROM clients c
    LEFT JOIN client_operator_fields o ON o.client_id = c.client_id
    LEFT JOIN client_activity a ON a.client_id = c.client_id
    ${where.length === 0 ? '' : `WHERE ${where.join('\n      AND ')}`}
    ORDER BY ${key} ${direction}, c.client_id LIMIT :limit`;
  return { text, parameters };
}

/**
 * The grants a reach selection selects (alias g): by user, or by client_id, the AT Protocol
 * loopback client_ids (`http://localhost`, then `/` or `?`) as ranges the client_id index answers.
 */
function selected(selection: ReachSelection, column = 'g.client_id', userColumn = 'g.user_id'): string {
  if ('userId' in selection) return `${userColumn} = :userId`;
  const loopback = selection.loopback
    ? ` OR ${column} = 'http://localhost' OR (${column} >= 'http://localhost/' AND ${column} < 'http://localhost0')
        OR (${column} >= 'http://localhost?' AND ${column} < 'http://localhost@')`
    : '';
  return `(${column} IN (SELECT value FROM json_each(:ids))${loopback})`;
}

function selectionParameters(selection: ReachSelection): Record<string, SQLInputValue> {
  return 'userId' in selection ? { userId: selection.userId } : { ids: JSON.stringify(selection.clientIds) };
}

const LIVE_FAMILY = 'f.revoked_at IS NULL AND f.created_at IS NOT NULL AND f.expires_at > :now';

export function sqliteClientInventoryStore(connection: SqliteConnection): ClientInventoryStore {
  const { sql, immediate, write } = connection;

  /**
   * Indexes what the trigger noted and no indexing write took off client_index_pending: the
   * records of before migration 13, or of a writer that does not index. One empty read otherwise.
   */
  function indexPending(): void {
    if (sql('SELECT 1 FROM client_index_pending LIMIT 1').get() === undefined) return;
    immediate(() => {
      const pending = sql(
        `SELECT p.client_id AS pending_id, c.* FROM client_index_pending p
         LEFT JOIN clients c ON c.client_id = p.client_id`,
      ).all();
      for (const row of pending) {
        if (row.client_id === null) unindexClient(connection, String(row.pending_id));
        else indexClient(connection, records.clientFromRow(row));
      }
    });
  }

  return {
    async list(query) {
      indexPending();
      const { text, parameters } = listStatement(query);
      return sql(text).all(parameters).map(inventoryRows.inventoryRowFromRow);
    },
    async operatorFields(clientId) {
      const row = sql('SELECT * FROM client_operator_fields WHERE client_id = ?').get(clientId);
      return row === undefined ? undefined : inventoryRows.operatorFieldsFromRow(row);
    },
    async activity(clientId) {
      const row = sql('SELECT * FROM client_activity WHERE client_id = ?').get(clientId);
      return row === undefined ? undefined : inventoryRows.activityFromRow(row);
    },
    async putOperatorFields(fields) {
      // The read and the write under one write lock: each writer reports the fields it replaced.
      return immediate(() => {
        const before = sql('SELECT * FROM client_operator_fields WHERE client_id = ?').get(fields.clientId);
        sql(
          `INSERT INTO client_operator_fields (client_id, owner, team, contact, labels, note, updated_by, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (client_id) DO UPDATE SET
             owner = excluded.owner, team = excluded.team, contact = excluded.contact,
             labels = excluded.labels, note = excluded.note, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at`,
        ).run(...inventoryRows.operatorFieldsRow(fields));
        return before === undefined ? undefined : inventoryRows.operatorFieldsFromRow(before);
      });
    },
    async deleteOperatorFields(clientId) {
      const row = sql('DELETE FROM client_operator_fields WHERE client_id = ? RETURNING *').get(clientId);
      return row === undefined ? undefined : inventoryRows.operatorFieldsFromRow(row);
    },
    async recordActivity(clientId, kind, at) {
      const column = { authorization: 'auth', token: 'token', refresh: 'refresh' }[kind];
      // On the request paths (written at most once an hour per client and kind): through the group
      // commit, no commit of its own. min/max of what is there and what is written: any order works.
      // An installation's use is its shared registration's too (decision 0046); `WHERE true`: the
      // upsert of a SELECT needs it (SQLite's parser).
      await write(() =>
        sql(
          `INSERT INTO client_activity (client_id, first_seen_at, last_seen_at, last_authorization_at,
             last_token_at, last_refresh_at)
           SELECT id, :at, :at, :auth, :token, :refresh FROM (
             SELECT :clientId AS id
             UNION SELECT shared_registration FROM clients
               WHERE client_id = :clientId AND shared_registration IS NOT NULL)
           WHERE true
           ON CONFLICT (client_id) DO UPDATE SET
             first_seen_at = min(first_seen_at, excluded.first_seen_at),
             last_seen_at = max(last_seen_at, excluded.last_seen_at),
             last_authorization_at = max(coalesce(last_authorization_at, excluded.last_authorization_at),
               coalesce(excluded.last_authorization_at, last_authorization_at)),
             last_token_at = max(coalesce(last_token_at, excluded.last_token_at),
               coalesce(excluded.last_token_at, last_token_at)),
             last_refresh_at = max(coalesce(last_refresh_at, excluded.last_refresh_at),
               coalesce(excluded.last_refresh_at, last_refresh_at))`,
        ).run({ clientId, at, auth: null, token: null, refresh: null, [column]: at }),
      );
    },
    async reach(selection, { now, issuedSince }) {
      const chosen = selectionParameters(selection);
      const live = `g.revoked_at IS NULL AND ${selected(selection)}`;
      const totals = sql(
        `SELECT count(DISTINCT g.user_id) AS users, count(DISTINCT g.client_id) AS clients, count(*) AS grants
         FROM grants g WHERE ${live}`,
      ).get(chosen)!;
      // Per redirect of the live grants, its machines and whether a grant of it has no session;
      // installationCount says what they add up to (decision 0044), as in every backend.
      const redirects = sql(
        `SELECT g.redirect_uri AS redirect_uri,
           count(DISTINCT CASE WHEN f.dpop_jkt IS NOT NULL THEN 'dpop:' || f.dpop_jkt
             WHEN f.id IS NOT NULL THEN 'family:' || f.id END) AS machines,
           max(f.id IS NULL) AS bare
         FROM grants g LEFT JOIN token_families f ON f.grant_id = g.id AND ${LIVE_FAMILY}
         WHERE ${live} GROUP BY g.client_id, g.redirect_uri`,
      )
        .all({ ...chosen, now })
        .map((row) => ({
          redirectUri: String(row.redirect_uri),
          machines: Number(row.machines),
          bare: Number(row.bare) === 1,
        }));
      const held = (column: 'scope' | 'resources') =>
        sql(
          `SELECT j.value AS value, count(DISTINCT g.id) AS grants FROM grants g, json_each(g.${column}) j
           WHERE ${live} GROUP BY j.value ORDER BY j.value`,
        )
          .all(chosen)
          .map((row) => ({ value: String(row.value), grants: Number(row.grants) }));
      const families = sql(
        `SELECT count(*) AS n FROM token_families f
         WHERE ${LIVE_FAMILY} AND f.grant_id IN (SELECT g.id FROM grants g WHERE ${live})`,
      ).get({ ...chosen, now })!;
      const issuedBy = `e.type = 'token.issued' AND ${selected(selection, 'e.client_id', 'e.user_id')}`;
      const issued = sql(
        `SELECT s.value AS since, (SELECT count(*) FROM audit_events e WHERE ${issuedBy} AND e.at >= s.value) AS n
         FROM json_each(:since) s ORDER BY s.key`,
      ).all({ ...chosen, since: JSON.stringify(issuedSince) });
      const last = sql(`SELECT max(e.at) AS at FROM audit_events e WHERE ${issuedBy}`).get(chosen);
      return {
        users: Number(totals.users),
        clients: Number(totals.clients),
        grants: Number(totals.grants),
        installations: installationCount(redirects),
        scopes: held('scope'),
        resources: held('resources'),
        liveFamilies: Number(families.n),
        tokensIssued: issued.map((row) => Number(row.n)),
        ...(last?.at === null || last?.at === undefined ? {} : { lastTokenAt: Number(last.at) }),
      };
    },
    async connections(selection, now) {
      return sql(
        `SELECT g.*,
           (SELECT count(*) FROM token_families f WHERE f.grant_id = g.id AND ${LIVE_FAMILY}) AS live_families,
           (SELECT max(f.created_at) FROM token_families f WHERE f.grant_id = g.id AND ${LIVE_FAMILY}) AS last_family_at
         FROM grants g WHERE g.revoked_at IS NULL AND ${selected(selection)}
         ORDER BY g.user_id, g.client_id, g.redirect_uri`,
      )
        .all({ ...selectionParameters(selection), now })
        .map((row) => ({
          grant: inventoryRows.grantFromRow(row),
          liveFamilies: Number(row.live_families),
          ...(row.last_family_at === null ? {} : { lastFamilyAt: Number(row.last_family_at) }),
        }));
    },
  };
}
