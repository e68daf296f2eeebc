/**
 * `npm ci` refuses a lockfile that lacks an optional dependency of any locked package, even one for
 * another platform ("Missing: @biomejs/cli-darwin-arm64 … from lock file", issue #16). An install on
 * one machine can leave only that machine's binaries in the lockfile, and CI on Linux would never
 * notice; this test does, on any machine, by reading package-lock.json the way npm resolves it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

interface LockedPackage {
  optionalDependencies?: Record<string, string>;
  link?: boolean;
}

/** Where npm finds `name` for the package at `from`: its own node_modules, then each ancestor's. */
function locate(packages: Record<string, LockedPackage>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at === -1 ? '' : dir.slice(0, at); // node_modules/a/node_modules/b -> node_modules/a -> root
  }
}

describe('package-lock.json (issue #16)', () => {
  it("holds every locked package's optional dependencies, for every platform", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockedPackage>;
    };
    const missing: string[] = [];
    let optional = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional++;
        if (!locate(lock.packages, path, name)) missing.push(`${name} (of ${path || 'the root'})`);
      }
    }
    assert.ok(optional > 0, 'no optional dependencies at all: is this the right lockfile?');
    assert.deepEqual(missing, [], 'regenerate with `npm install --package-lock-only` (docs/development.md)');
  });
});
