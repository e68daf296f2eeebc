import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root, from this file. */
export const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

export interface Source {
  /** Relative to the repository root. */
  path: string;
  text: string;
}

/**
 * Every TypeScript source file of packages/*\/src, read as text: what the documentation tests
 * (error reasons, audit event types) scan for the literals the code uses.
 */
export function packageSources(): Source[] {
  const packages = join(ROOT, 'packages');
  const found: Source[] = [];
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, 'src');
    let entries: string[];
    try {
      entries = readdirSync(src, { recursive: true, encoding: 'utf8' });
    } catch {
      continue; // a package without src/
    }
    for (const entry of entries) {
      if (!entry.endsWith('.ts') || entry.endsWith('.d.ts')) continue;
      const path = join(src, entry);
      found.push({ path: path.slice(ROOT.length + 1), text: readFileSync(path, 'utf8') });
    }
  }
  return found;
}
