import { definitionOf, fieldsOf, type Schema, unwrap } from './schema-walk.ts';

/**
 * The operator's snake_case keys and the schema's camelCase ones, mapped mechanically, but only
 * through the schema's objects: inside free-form values (`fetch.dev_hosts`, a JWKS) keys are data.
 */
export const camelCase = (key: string) =>
  key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
export const snakeCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A snake_case key that has exactly one camelCase spelling and back (`accessTokenSeconds` is not one). */
export function isSnakeKey(key: string): boolean {
  return snakeCase(camelCase(key)) === key;
}

/**
 * `value` with its keys renamed by `rename` wherever the schema has an object; a key `rename`
 * answers undefined for is left out (the caller has said why).
 */
export function renameKeys(
  value: unknown,
  schema: Schema | undefined,
  rename: (key: string, path: readonly PropertyKey[]) => string | undefined,
  path: readonly PropertyKey[] = [],
): unknown {
  if (schema === undefined) return value;
  const inner = unwrap(schema);
  const def = definitionOf(inner);
  if (def.type === 'array' && Array.isArray(value)) {
    return value.map((item, index) => renameKeys(item, def.element, rename, [...path, index]));
  }
  const fields = fieldsOf(inner);
  if (fields === undefined || typeof value !== 'object' || value === null || Array.isArray(value))
    return value;
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, child]) => {
      const renamed = rename(key, [...path, key]);
      if (renamed === undefined) return [];
      return [[renamed, renameKeys(child, fields[renamed], rename, [...path, key])]];
    }),
  );
}

/** A key path of the camelCase schema as the operator writes it (snake_case outside free-form values). */
export function snakePath(schema: Schema, path: readonly PropertyKey[]): PropertyKey[] {
  const out: PropertyKey[] = [];
  let current: Schema | undefined = schema;
  for (const key of path) {
    const inner: Schema | undefined = current === undefined ? undefined : unwrap(current);
    const def = inner === undefined ? undefined : definitionOf(inner);
    const fields: Record<string, Schema> | undefined = inner === undefined ? undefined : fieldsOf(inner);
    if (fields !== undefined && typeof key === 'string') {
      out.push(snakeCase(key));
      current = fields[key];
    } else {
      out.push(key);
      current = def?.type === 'array' ? def.element : undefined;
    }
  }
  return out;
}
