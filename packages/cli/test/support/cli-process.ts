import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The `gatehouse` command as a user runs it: a child process on this repo's Node.js, with an
 * environment of only PATH and what the test gives (so no developer setting leaks in).
 */
export const ROOT = new URL('../../../../', import.meta.url).pathname;
export const CLI = join(ROOT, 'packages/cli/src/main.ts');
/** The environment is not passed on, so neither is NODE_OPTIONS: the source condition (see .npmrc) is given here. */
const NODE_ARGS = ['--disable-warning=ExperimentalWarning', '--conditions=@gatehouse-oauth/source'];

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Starts a long-running process (a script path and its arguments) and resolves once its output matches `ready`. */
export function start(command: string[], ready: RegExp, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...NODE_ARGS, ...command], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = (chunk: Buffer) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolve(match);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, matched, output: () => output };
}
