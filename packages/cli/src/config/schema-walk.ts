import type { z } from 'zod';

/**
 * Reading the configuration schema itself: what kind of value a key takes (so a variable's text
 * can be read as that kind), and which key paths exist (so the documentation can be checked).
 * zod 4 keeps its definitions at `schema.def`; wrappers (optional, default…) hold `innerType`.
 */
export type Schema = z.ZodType;

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'readonly', 'nullable']);

interface Definition {
  type: string;
  innerType?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  defaultValue?: unknown;
}

export function definitionOf(schema: Schema): Definition {
  return (schema as unknown as { def: Definition }).def;
}

/** The schema without its optional/default wrappers. */
export function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let def = definitionOf(current); WRAPPERS.has(def.type); def = definitionOf(current)) {
    current = def.innerType!;
  }
  return current;
}

/** The kind a variable's text is read as. */
export type ValueKind = 'boolean' | 'number' | 'list' | 'object' | 'text';

export function kindOf(schema: Schema): ValueKind {
  switch (definitionOf(unwrap(schema)).type) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'array':
      return 'list';
    case 'object':
    case 'record':
      return 'object';
    default:
      return 'text';
  }
}

/** The fields of an object schema, or undefined for anything else (a record is free-form). */
export function fieldsOf(schema: Schema): Record<string, Schema> | undefined {
  const def = definitionOf(unwrap(schema));
  return def.type === 'object' ? def.shape : undefined;
}

/** The schema at a key path, or undefined when no such setting exists. */
export function schemaAt(schema: Schema, path: readonly string[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const key of path) {
    const fields: Record<string, Schema> | undefined = current === undefined ? undefined : fieldsOf(current);
    current = fields !== undefined && Object.hasOwn(fields, key) ? fields[key] : undefined;
  }
  return current;
}

/**
 * Every setting's key path: the leaves of the tree of objects. An object with a default of its own
 * (a rate limit) is one setting, and so is everything free-form (lists, records).
 */
export function settingPaths(schema: Schema, prefix: readonly string[] = []): string[][] {
  const fields = fieldsOf(schema);
  if (fields === undefined || (prefix.length > 0 && definitionOf(schema).type === 'default'))
    return [[...prefix]];
  return Object.entries(fields).flatMap(([key, field]) => settingPaths(field, [...prefix, key]));
}

/**
 * Whether a key path names a setting, or lies inside a free-form one (a record's keys are data).
 * A path that leaves the schema's objects (`portt`, `port.x`) names nothing.
 */
export function namesSetting(schema: Schema, path: readonly string[]): boolean {
  let current = schema;
  for (const key of path) {
    const fields = fieldsOf(current);
    if (fields === undefined) return definitionOf(unwrap(current)).type === 'record';
    const next = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (next === undefined) return false;
    current = next;
  }
  return true;
}
