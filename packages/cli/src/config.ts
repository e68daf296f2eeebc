import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathText, problemsOf } from '@gatehouse-oauth/server';
import { type CliInput, type CliSettings, cliSchema } from './config/cli-schema.ts';
import { camelCase, isSnakeKey, renameKeys, snakePath } from './config/key-names.ts';
import { isTree, Layers, type Origin, type Tree, treeAt } from './config/layers.ts';
import { readText } from './config/read-text.ts';
import { fieldsOf, kindOf, namesSetting, type Schema, schemaAt } from './config/schema-walk.ts';
import {
  CONFIG_VARIABLE,
  ENV_PREFIX,
  suggestionFor,
  unknownVariableWarning,
} from './config/unknown-names.ts';
import { ConfigError } from './config-error.ts';

export { ConfigError } from './config-error.ts';

/**
 * The configuration: a JSON file, then `GATEHOUSE_*` environment variables, then command-line
 * flags, each overriding the one before, checked against one schema (config/cli-schema.ts, which
 * is the server's plus the process's own settings). An unknown key in the file or a flag is an
 * error that names it, because a misspelt security setting that is silently ignored is worse than a
 * server that does not start. An unknown `GATEHOUSE_*` variable is a warning (config/unknown-names.ts).
 */
export type GatehouseConfig = CliSettings & {
  /** Only what the operator set, camelCase: a profile must tell it from a default (decision 0024). */
  given: CliInput;
  /** Said at every start, never stopping it: unknown `GATEHOUSE_*` variables, each with its nearest setting. */
  warnings: readonly string[];
};

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Already-parsed flags with config names, snake_case (`tls: { cert, key }` etc. by the caller). */
  flags?: Record<string, unknown>;
}

/** Flags whose name is not their key path with `-` for `_` and `.` (main.ts). */
const FLAG_NAMES: Record<string, string> = {
  'tls.cert': '--tls-cert',
  'tls.key': '--tls-key',
  'fetch.dev_loopback': '--dev-loopback-fetch',
  'fetch.ca_file': '--fetch-ca',
  'fetch.dev_hosts': '--dev-host',
};

export function loadConfig(sources: ConfigSources): GatehouseConfig {
  const env = sources.env ?? {};
  const layers = new Layers();
  const problems: string[] = [];
  const warnings: string[] = [];
  const file = sources.file ?? env[CONFIG_VARIABLE];
  if (file !== undefined) {
    const origin = { label: file, depth: 0 };
    layers.add(
      readStrings(readConfigFile(file), [], () => origin, problems, false),
      () => origin,
    );
  }
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_VARIABLE || text === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    if (!namesSetting(cliSchema, path.map(camelCase))) {
      warnings.push(unknownVariableWarning(name));
      continue;
    }
    const origin = { label: name, depth: path.length };
    layers.add(
      readStrings(treeAt(path, text), [], () => origin, problems, true),
      () => origin,
    );
  }
  const flags = sources.flags ?? {};
  layers.add(readStrings(flags, [], flagOrigin, problems, true), flagOrigin);

  const given = renameKeys(layers.merged, cliSchema, (key, path) => {
    if (isSnakeKey(key)) return camelCase(key);
    problems.push(say(layers.originOf(path), path, 'unknown setting'));
    return undefined;
  }) as CliInput;
  const result = cliSchema.safeParse(given, { reportInput: true });
  if (!result.success) {
    for (const problem of problemsOf(result.error)) {
      const path = snakePath(cliSchema, problem.path);
      problems.push(say(layers.originOf(path), path, problem.message));
    }
  }
  if (problems.length > 0 || !result.success) {
    // One problem is one line; several are listed under the first.
    throw new ConfigError(
      problems.length === 1
        ? `invalid configuration: ${problems[0]}`
        : `invalid configuration:\n  ${problems.join('\n  ')}`,
    );
  }
  return { ...result.data, given, warnings };
}

/** One problem, in the operator's words: who set the key, the rest of its path, what is wrong. */
function say(origin: Origin | undefined, path: readonly PropertyKey[], message: string): string {
  const { label, depth } = origin ?? { label: 'configuration', depth: 0 };
  if (message === 'unknown setting')
    return `${label}: unknown setting ${pathText(path)}${suggestionFor(path)}`;
  const rest = pathText(path.slice(depth));
  return `${label}: ${rest === '' ? '' : `${rest}: `}${message}`;
}

function flagOrigin(path: readonly string[]): Origin {
  const key = path.join('.');
  const named = FLAG_NAMES[key] ?? (path.length === 1 ? `--${key.replaceAll('_', '-')}` : undefined);
  return named === undefined ? { label: 'flags', depth: 0 } : { label: named, depth: path.length };
}

/**
 * The tree with its text read as the schema's kind at each key. Variables and flags are all text,
 * so every kind is read (`true`, `1`, `a,b`, JSON); a JSON file has its own types, and only a
 * number or boolean written as a string is read (as before).
 */
function readStrings(
  tree: Tree,
  path: readonly string[],
  originOf: (path: readonly string[]) => Origin,
  problems: string[],
  allKinds: boolean,
): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(tree)) {
    const here = [...path, key];
    const schema = schemaAt(cliSchema, here.map(camelCase));
    out[key] =
      isTree(value) && schema !== undefined && fieldsOf(schema) !== undefined
        ? readStrings(value, here, originOf, problems, allKinds)
        : readLeaf(value, schema, here, originOf(here), problems, allKinds);
  }
  return out;
}

function readLeaf(
  value: unknown,
  schema: Schema | undefined,
  path: readonly string[],
  origin: Origin,
  problems: string[],
  allKinds: boolean,
): unknown {
  if (typeof value !== 'string' || schema === undefined) return value;
  const kind = kindOf(schema);
  if (!allKinds && kind !== 'boolean' && kind !== 'number') return value;
  const read = readText(value, kind);
  if ('value' in read) return read.value;
  problems.push(say(origin, path, read.problem));
  return undefined;
}

function readConfigFile(path: string): Tree {
  const full = resolve(path);
  if (!existsSync(full)) throw new ConfigError(`config file ${full} does not exist`);
  try {
    const parsed: unknown = JSON.parse(readFileSync(full, 'utf8'));
    if (!isTree(parsed)) throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new ConfigError(`config file ${full} is not a JSON object: ${(error as Error).message}`);
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

/** The issuer: configured, or derived for a loopback development server. */
export function resolveIssuer(config: GatehouseConfig, boundPort: number): string {
  if (config.issuer !== undefined) return config.issuer.replace(/\/$/, '');
  if (!isLoopbackHost(config.host)) {
    throw new ConfigError(
      'set issuer (--issuer or GATEHOUSE_ISSUER) when listening on a non-loopback address',
    );
  }
  return `${config.tls === undefined ? 'http' : 'https'}://localhost:${boundPort}`;
}
