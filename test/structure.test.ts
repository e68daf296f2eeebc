// The import structure of the source packages: no cycle between source files (issue #12, item 8).
//
// Every relative `.ts` import of packages/*/src counts, `import type` and `export … from` included:
// a cycle of types is still two files that cannot be understood (or moved) one without the other,
// and a type-only edge is one refactor away from a runtime one. Package imports (@gatehouse-oauth/*) are
// not followed: the workspace's package graph is checked by npm, which refuses a cyclic workspace.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..');

/** Every .ts file below `dir`, absolute. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The relative .ts files a source file imports or re-exports, absolute. */
export function relativeImports(file: string, text: string): string[] {
  const specifiers = text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+\.ts)['"]/g,
  );
  const sideEffects = text.matchAll(/(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+\.ts)['"]/g);
  return [...specifiers, ...sideEffects].map((match) => resolve(dirname(file), match[1]!));
}

/** The cycles of a graph, each as the files on it in import order (Tarjan's strongly connected components). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfImport = graph.get(node)?.includes(node) === true;
    if (component.length > 1 || selfImport) cycles.push(component.reverse());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const pkg of readdirSync(join(root, 'packages'))) {
    let files: string[];
    try {
      files = sourceFiles(join(root, 'packages', pkg, 'src'));
    } catch {
      continue;
    }
    for (const file of files) graph.set(file, relativeImports(file, readFileSync(file, 'utf8')));
  }
  return graph;
}

describe('import structure', () => {
  it('finds a cycle it is shown', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    assert.deepEqual(importCycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
    assert.deepEqual(
      relativeImports('/x/a.ts', "import type { T } from './t.ts';\nexport { u } from '../u.ts';"),
      ['/x/t.ts', '/u.ts'],
    );
  });

  it('has no import cycle between source files of packages/*/src (import type included)', () => {
    const graph = sourceGraph();
    assert.ok(graph.size > 50, 'the source files were found');
    const cycles = importCycles(graph).map((cycle) => cycle.map((file) => relative(root, file)));
    assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((cycle) => cycle.join(' → ')).join('\n')}`);
  });

  it('no endpoint imports another endpoint: what two share lives in a domain module', () => {
    const isEndpoint = (file: string) => /-endpoints?\.ts$/.test(file);
    const crossings = [...sourceGraph()]
      .filter(([file]) => isEndpoint(file))
      .flatMap(([file, targets]) =>
        targets.filter(isEndpoint).map((target) => `${relative(root, file)} → ${relative(root, target)}`),
      );
    assert.deepEqual(crossings, []);
  });

  it('generic code reaches a named profile only through the registry (profiles/profile.ts hooks)', () => {
    const named = /profiles\/(atproto|mcp)-[a-z-]+\.ts$/;
    // index.ts re-exports the profile helpers that are public API; nothing else may branch on one.
    const allowed = new Set([
      'packages/server/src/profiles/profile-registry.ts',
      'packages/server/src/index.ts',
    ]);
    const reaches = [...sourceGraph()]
      .map(([file, targets]) => [relative(root, file), targets] as const)
      .filter(
        ([file, targets]) =>
          !named.test(file) && !allowed.has(file) && targets.some((target) => named.test(target)),
      )
      .map(([file]) => file);
    assert.deepEqual(reaches, []);
  });
});
