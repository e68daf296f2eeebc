import type { ClientActivity, InventoryRow, OperatorFields } from './client-inventory-store.ts';
import { type ColumnReader, type ColumnRow, createRowRecords } from './row-records.ts';

/**
 * The SQL stores' rows of the inventory (client-inventory-store.ts) as records, both ways, like
 * ./row-records.ts and ./record-rows.ts for the other aggregates. An inventory row is a client row
 * joined with its operator fields (columns `o_…`) and its activity (`a_…`): the SELECT lists of
 * INVENTORY_COLUMNS give those names in both dialects.
 */
export const INVENTORY_COLUMNS = `c.*,
  o.client_id AS o_client_id, o.owner AS o_owner, o.team AS o_team, o.contact AS o_contact,
  o.labels AS o_labels, o.note AS o_note, o.updated_by AS o_updated_by, o.updated_at AS o_updated_at,
  a.client_id AS a_client_id, a.first_seen_at AS a_first_seen_at, a.last_seen_at AS a_last_seen_at,
  a.last_authorization_at AS a_last_authorization_at, a.last_token_at AS a_last_token_at,
  a.last_refresh_at AS a_last_refresh_at`;

export function createInventoryRows(read: ColumnReader) {
  const records = createRowRecords(read);
  const optionalText = (row: ColumnRow, column: string) =>
    row[column] === null ? undefined : read.text(row, column);
  const optionalInt = (row: ColumnRow, column: string) =>
    row[column] === null ? undefined : read.int(row, column);

  /** The fields of columns named `<prefix>owner`…; undefined when the join found none. */
  const operatorFieldsFromRow = (row: ColumnRow, prefix = ''): OperatorFields | undefined => {
    if (row[`${prefix}client_id`] === null || row[`${prefix}client_id`] === undefined) return undefined;
    return defined({
      clientId: read.text(row, `${prefix}client_id`),
      owner: optionalText(row, `${prefix}owner`),
      team: optionalText(row, `${prefix}team`),
      contact: optionalText(row, `${prefix}contact`),
      labels: read.json<string[]>(row, `${prefix}labels`),
      note: optionalText(row, `${prefix}note`),
      updatedBy: read.text(row, `${prefix}updated_by`),
      updatedAt: read.int(row, `${prefix}updated_at`),
    });
  };

  const activityFromRow = (row: ColumnRow, prefix = ''): ClientActivity | undefined => {
    if (row[`${prefix}client_id`] === null || row[`${prefix}client_id`] === undefined) return undefined;
    return defined({
      clientId: read.text(row, `${prefix}client_id`),
      firstSeenAt: read.int(row, `${prefix}first_seen_at`),
      lastSeenAt: read.int(row, `${prefix}last_seen_at`),
      lastAuthorizationAt: optionalInt(row, `${prefix}last_authorization_at`),
      lastTokenAt: optionalInt(row, `${prefix}last_token_at`),
      lastRefreshAt: optionalInt(row, `${prefix}last_refresh_at`),
    });
  };

  return {
    operatorFieldsFromRow,
    activityFromRow,
    grantFromRow: records.grantFromRow,

    inventoryRowFromRow(row: ColumnRow): InventoryRow {
      const operator = operatorFieldsFromRow(row, 'o_');
      const activity = activityFromRow(row, 'a_');
      return {
        record: records.clientFromRow(row),
        ...(operator === undefined ? {} : { operator }),
        ...(activity === undefined ? {} : { activity }),
      };
    },

    /** client_id, owner, team, contact, labels, note, updated_by, updated_at */
    operatorFieldsRow: (fields: OperatorFields): (string | number | null)[] => [
      fields.clientId,
      fields.owner ?? null,
      fields.team ?? null,
      fields.contact ?? null,
      JSON.stringify(fields.labels),
      fields.note ?? null,
      fields.updatedBy,
      fields.updatedAt,
    ],
  };
}

/** The object without its undefined members (in place: it was just built): omitted, never undefined. */
function defined<T extends object>(value: T): T {
  const members = value as Record<string, unknown>;
  for (const key of Object.keys(members)) if (members[key] === undefined) delete members[key];
  return value;
}
