import {
  type ColumnReader,
  type ColumnRow,
  createRecordRows,
  createRowRecords,
  textColumn,
} from '@gatehouse-oauth/server';

/**
 * How node-postgres returns a column: jsonb already parsed (into fresh objects on every read, so
 * callers get their own copies), BIGINT as a number (see `types` in ./pool.ts), BOOLEAN as a boolean.
 */
export const postgresColumns: ColumnReader = {
  text: textColumn,
  int(row, column) {
    const value = row[column];
    if (typeof value !== 'number') throw new Error(`column ${column} is not a number`);
    return value;
  },
  json<T>(row: ColumnRow, column: string): T {
    const value = row[column];
    if (value === null || value === undefined) throw new Error(`column ${column} is NULL`);
    return value as T;
  },
  bool(row, column) {
    const value = row[column];
    if (typeof value !== 'boolean') throw new Error(`column ${column} is not a boolean`);
    return value;
  },
};

/** The shared row to record mappings (@gatehouse-oauth/server row-records.ts), reading PostgreSQL's values. */
export const records = createRowRecords(postgresColumns);

/** The values that write a record (@gatehouse-oauth/server record-rows.ts); booleans as BOOLEAN. */
export const rows = createRecordRows((value: boolean) => value);

/**
 * A value for a jsonb column, as JSON text. node-postgres would send a JS array as a PostgreSQL
 * array literal, so every jsonb value is serialised here, the same way.
 */
export function jsonParameter(value: unknown): string {
  return JSON.stringify(value);
}
