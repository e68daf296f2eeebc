import { cliSchema } from '../../src/config/cli-schema.ts';
import { renameKeys, snakeCase } from '../../src/config/key-names.ts';
import { definitionOf, fieldsOf, type Schema, settingPaths, unwrap } from '../../src/config/schema-walk.ts';

/**
 * The settings table of docs/configuration.md as the schema says it must be: every key an
 * operator can write (snake_case), its default and its range, in the doc's notation:
 * defaults in backticks (`—` for none), ranges `min … max`, `≥ min`, `≤ max`, enum values.
 */
export interface SettingRow {
  default: string;
  range: string;
}

export function schemaSettings(): Map<string, SettingRow> {
  const rows = new Map<string, SettingRow>();
  for (const path of settingPaths(cliSchema)) {
    let schema: Schema = cliSchema;
    for (const key of path) schema = fieldsOf(schema)![key]!;
    rows.set(path.map(snakeCase).join('.'), { default: defaultText(schema), range: rangeText(schema) });
  }
  return rows;
}

/** The rows of the doc's settings table: `| key | default | range | meaning |`. */
export function documentedSettings(markdown: string): Map<string, SettingRow> {
  const rows = new Map<string, SettingRow>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const key = /^`([a-z0-9_.]+)`$/.exec(cells[1] ?? '')?.[1];
    if (key === undefined || cells.length < 6) continue;
    rows.set(key, { default: cells[2]!, range: cells[3]! });
  }
  return rows;
}

function defaultText(schema: Schema): string {
  let current = schema;
  for (let def = definitionOf(current); def.type !== 'default'; def = definitionOf(current)) {
    if (def.innerType === undefined || def.type === 'prefault') return '—';
    current = def.innerType;
  }
  const value = renameKeys(definitionOf(current).defaultValue, current, snakeCase);
  return `\`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\``;
}

function rangeText(schema: Schema): string {
  const inner = unwrap(schema) as Schema & Record<string, unknown>;
  const def = definitionOf(inner);
  if (def.type === 'number') return bounds(inner.minValue as number, inner.maxValue as number, '');
  if (def.type === 'string')
    return bounds(inner.minLength as number | null, inner.maxLength as number | null, ' characters', 1);
  if (def.type === 'enum') return (inner.options as string[]).map((option) => `\`${option}\``).join(', ');
  const fields = fieldsOf(inner);
  if (fields !== undefined) {
    return Object.entries(fields)
      .map(([key, field]) => `\`${snakeCase(key)}\` ${rangeText(field)}`)
      .join(', ');
  }
  return '—';
}

/** `a … b`, `≥ a`, `≤ b` or `—`; a bound at or below `trivial` (a non-empty string) is not shown. */
function bounds(min: number | null, max: number | null, unit: string, trivial = -Infinity): string {
  const low = min === null || min <= trivial || min <= Number.MIN_SAFE_INTEGER ? undefined : min;
  const high = max === null || max >= Number.MAX_SAFE_INTEGER ? undefined : max;
  if (low !== undefined && high !== undefined) return `${low} … ${high}${unit}`;
  if (low !== undefined) return `≥ ${low}${unit}`;
  if (high !== undefined) return `≤ ${high}${unit}`;
  return '—';
}
