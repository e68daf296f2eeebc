import { createRecordRows } from '../record-rows.ts';
import { type ColumnReader, createRowRecords, textColumn } from '../row-records.ts';

/** How SQLite returns a column: JSON as TEXT, integers as number or bigint, booleans as 0/1. */
export const sqliteColumns: ColumnReader = {
  text: textColumn,
  int(row, column) {
    const value = row[column];
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    throw new Error(`column ${column} is not an integer`);
  },
  json: (row, column) => JSON.parse(sqliteColumns.text(row, column)),
  bool: (row, column) => sqliteColumns.int(row, column) === 1,
};

/** The shared row to record mappings (../row-records.ts), reading SQLite's column values. */
export const records = createRowRecords(sqliteColumns);

/** The values that write a record (../record-rows.ts); SQLite has no BOOLEAN, so 0/1. */
export const rows = createRecordRows((value: boolean) => (value ? 1 : 0));

/** Whether a statement changed any row. */
export function changed(result: { changes: number | bigint }): boolean {
  return Number(result.changes) > 0;
}

/** How many rows a statement changed. */
export function changes(result: { changes: number | bigint }): number {
  return Number(result.changes);
}
