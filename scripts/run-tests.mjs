// The one test command: every *.test.ts under packages/*/test and test/, on Node's own runner.
// Node 24 runs TypeScript directly (type stripping), so there is no build step before the tests.
import { spawnSync } from 'node:child_process';

const patterns = ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const extra = process.argv.slice(2);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=120000', ...(extra.length ? extra : patterns)],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '--disable-warning=ExperimentalWarning' } },
);
process.exit(result.status ?? 1);
