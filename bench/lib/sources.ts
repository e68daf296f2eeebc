import { spawnSync } from 'node:child_process';

/**
 * The bench measures the workspace's TypeScript sources, never a `dist/` that may predate them.
 * Inside the repository the packages resolve to their sources only with the
 * `@gatehouse-oauth/source` export condition, which the repository's .npmrc turns on for npm
 * scripts (docs/development.md, "Sources and builds"). A bench file started with plain `node` would
 * load each package's last build instead, or a mix of both, and measure code that is not the code.
 */
export const SOURCE_CONDITION = '--conditions=@gatehouse-oauth/source';

/** Whether this process resolves the workspace packages to their sources (false when unbuilt too). */
export function runsSources(): boolean {
  try {
    return import.meta.resolve('@gatehouse-oauth/server').endsWith('/src/index.ts');
  } catch {
    return false; // no dist/ to resolve to: a fresh clone, started without the condition
  }
}

/** NODE_OPTIONS with the sources' condition added, for a process and every child it starts. */
export function sourceNodeOptions(): string {
  const options = process.env.NODE_OPTIONS ?? '';
  return options.includes(SOURCE_CONDITION) ? options : `${options} ${SOURCE_CONDITION}`.trim();
}

/**
 * Starts this script again on the sources, under `prefix` (`taskset -c N`) when given and with
 * `env` added, and exits with its code.
 */
export function restartScript(
  options: { prefix?: readonly string[]; env?: Record<string, string> } = {},
): never {
  const [command, ...args] = [
    ...(options.prefix ?? []),
    process.execPath,
    ...process.execArgv,
    ...process.argv.slice(1),
  ];
  const again = spawnSync(command!, args, {
    stdio: 'inherit',
    env: { ...process.env, ...options.env, NODE_OPTIONS: sourceNodeOptions() },
  });
  process.exit(again.status ?? 1);
}

/**
 * Run by hand with plain `node`: starts this script again on the sources, and exits with its code.
 * Returns (doing nothing) when the process already runs them.
 */
export function restartOnSources(): void {
  if (!runsSources()) restartScript();
}
