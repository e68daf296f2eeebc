import { ConfigError } from '../config-error.ts';

/**
 * The configuration's sources merged into one snake_case tree, remembering who set each key: the
 * file, a `GATEHOUSE_*` variable or a flag. A problem is then said in the operator's own words
 * (`GATEHOUSE_CORS: …`, `--port: …`, `gatehouse.json: cimd.min_ttl_seconds: …`).
 */
export interface Origin {
  /** The file name, the variable or the flag. */
  label: string;
  /** How many leading keys of a path the label already says (0 for the file: it names none). */
  depth: number;
}

export type Tree = Record<string, unknown>;

export class Layers {
  readonly merged: Tree = {};
  readonly #origins = new Map<string, Origin>();

  /** Merges `layer` over what is there; every key it sets is now said to come from `originOf` it. */
  add(layer: Tree, originOf: (path: readonly string[]) => Origin): void {
    merge(this.merged, layer, [], (path) => this.#origins.set(JSON.stringify(path), originOf(path)));
  }

  /** Who set `path` or the nearest key above it. */
  originOf(path: readonly PropertyKey[]): Origin | undefined {
    for (let length = path.length; length > 0; length--) {
      const origin = this.#origins.get(JSON.stringify(path.slice(0, length).map(String)));
      if (origin !== undefined) return origin;
    }
    return undefined;
  }
}

function merge(
  target: Tree,
  source: Tree,
  path: readonly string[],
  set: (path: readonly string[]) => void,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new ConfigError(`${[...path, key].join('.')} is not a valid setting`);
    }
    const here = [...path, key];
    if (value === undefined) continue;
    set(here);
    const existing = target[key];
    if (isTree(value)) {
      if (!isTree(existing)) target[key] = {};
      merge(target[key] as Tree, value, here, set);
    } else {
      target[key] = value;
    }
  }
}

export function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `[...]` set at `path` in a new tree. */
export function treeAt(path: readonly string[], value: unknown): Tree {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Tree;
}
