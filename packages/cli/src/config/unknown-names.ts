import { cliSchema } from './cli-schema.ts';
import { snakeCase } from './key-names.ts';
import { nearestName } from './nearest-name.ts';
import { fieldsOf, type Schema } from './schema-walk.ts';

/**
 * What the operator is told about a name that is not a setting, with the one they probably meant.
 * An unknown `GATEHOUSE_*` variable is only a warning: deploy scripts keep their own variables
 * under that prefix (`GATEHOUSE_DIR`, `GATEHOUSE_VERSION`), and those must not stop the server. An
 * unknown key in the config file, or in a variable's JSON value, stays an error (config.ts).
 */
export const ENV_PREFIX = 'GATEHOUSE_';
export const CONFIG_VARIABLE = 'GATEHOUSE_CONFIG';

/** Every key path an operator can write, snake_case, objects included (`lifetimes`, `lifetimes.access_token_seconds`). */
const KEY_PATHS = keyPaths(cliSchema);

const VARIABLES = [CONFIG_VARIABLE, ...KEY_PATHS.map((path) => variableOf(path))];

/** The variable that sets a key path: `GATEHOUSE_` and the path upper-cased, `__` between keys. */
export function variableOf(path: readonly string[]): string {
  return `${ENV_PREFIX}${path.join('__').toUpperCase()}`;
}

export function unknownVariableWarning(name: string): string {
  return `${name} is not a Gatehouse setting and is ignored; the nearest setting is ${nearestName(name, VARIABLES)}`;
}

/** `; did you mean …?` for an unknown key of the file, or nothing when the path runs through a list. */
export function suggestionFor(path: readonly PropertyKey[]): string {
  if (!path.every((key) => typeof key === 'string')) return '';
  const nearest = nearestName(
    path.join('.'),
    KEY_PATHS.map((known) => known.join('.')),
  );
  return nearest === undefined ? '' : `; did you mean ${nearest}?`;
}

function keyPaths(schema: Schema, prefix: readonly string[] = []): string[][] {
  const fields = fieldsOf(schema);
  if (fields === undefined) return [];
  return Object.entries(fields).flatMap(([key, field]) => {
    const path = [...prefix, snakeCase(key)];
    return [path, ...keyPaths(field, path)];
  });
}
