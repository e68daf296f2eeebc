// Compiles the packages' TypeScript into dist/ (JavaScript and .d.ts) for their npm tarballs. Inside
// the repository nothing needs it: everything runs the sources (see docs/development.md).
//
//   node scripts/build.mjs            every package (`npm run build`)
//   node scripts/build.mjs --package  the package in the current directory: its `prepack`
//
// The dist/ being built is removed first, so a source file deleted or renamed since the last build
// cannot linger in a tarball. `tsc -b` builds the referenced packages first (their .d.ts files are
// what this one compiles against) and skips those already up to date.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDirs = process.argv.includes('--package')
  ? [process.cwd()]
  : readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));

for (const dir of packageDirs) rmSync(join(dir, 'dist'), { recursive: true, force: true });

// typescript's exports map does not list its bin; its package.json is listed and sits beside it.
const typescript = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
const tsc = join(dirname(typescript), 'bin/tsc');
const result = spawnSync(
  process.execPath,
  [tsc, '-b', ...packageDirs.map((dir) => join(dir, 'tsconfig.build.json'))],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1); // tsc has printed its errors
