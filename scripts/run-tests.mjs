// The one test command: every *.test.ts under packages/*/test and test/, on Node's own runner.
// Node 24 runs TypeScript directly (type stripping), so there is no build step before the tests.
import { spawnSync } from 'node:child_process';

const patterns = ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const extra = process.argv.slice(2);
// Appended to, not replaced: NODE_OPTIONS carries the "@gatehouse-oauth/source" condition (.npmrc),
// which makes the packages resolve to their TypeScript sources in the tests and every child they start.
const nodeOptions = [process.env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning']
  .filter(Boolean)
  .join(' ');
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=120000', ...(extra.length ? extra : patterns)],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: nodeOptions } },
);
process.exit(result.status ?? 1);
