import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Bench processes: every server and helper is a real child process, pinned to one CPU core with
 * `taskset` when the machine has it, talking to the orchestrator over Node's IPC channel.
 */

let tasksetAvailable: boolean | undefined;

export function hasTaskset(): boolean {
  tasksetAvailable ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetAvailable;
}

/** The command line that runs `script` with Node 24, pinned to `core` when possible. */
function pinnedCommand(core: number | undefined, nodeArgs: readonly string[], script: string) {
  const node = process.execPath;
  const args = ['--disable-warning=ExperimentalWarning', ...nodeArgs, script];
  if (core === undefined || !hasTaskset()) return { command: node, args };
  return { command: 'taskset', args: ['-c', String(core), node, ...args] };
}

export interface BenchChild {
  process: ChildProcess;
  pid: number;
  /** Sends a message and waits for the reply with the same `id`. */
  call<T>(message: Record<string, unknown>): Promise<T>;
  /** Resident set size now and the peak (VmHWM) from /proc, in MiB; undefined off Linux. */
  memory(): { rssMiB: number; peakMiB: number } | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `script` (which must call {@link serveChild}) and waits for its `ready` message.
 * Its stdout and stderr go to ours only when `verbose`.
 */
export async function startChild(
  script: string,
  options: { core?: number; nodeArgs?: readonly string[]; env?: Record<string, string>; verbose?: boolean },
): Promise<{ child: BenchChild; ready: Record<string, unknown> }> {
  const { command, args } = pinnedCommand(options.core, options.nodeArgs ?? [], script);
  const child = spawn(command, args, {
    stdio: ['ignore', options.verbose ? 'inherit' : 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    if (options.verbose) process.stderr.write(chunk);
  });
  let nextId = 1;
  const pending = new Map<number, (value: unknown) => void>();
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as Record<string, unknown>;
      if (message.type === 'ready') resolve(message);
      else if (typeof message.id === 'number') {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`${script} exited (${code}) before it was ready:\n${stderr}`)),
    );
  });
  const pid = child.pid!;
  const bench: BenchChild = {
    process: child,
    pid,
    call<T>(message: Record<string, unknown>) {
      const id = nextId++;
      return new Promise<T>((resolve) => {
        pending.set(id, resolve as (value: unknown) => void);
        child.send({ ...message, id });
      });
    },
    memory() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
        return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
      } catch {
        return undefined;
      }
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
  return { child: bench, ready };
}

/** In a child: says `ready` with `info`, then answers calls with `handle`. */
export function serveChild(
  info: Record<string, unknown>,
  handle: (message: Record<string, unknown>) => Promise<unknown> | unknown = () => undefined,
): void {
  process.on('message', (raw) => {
    const message = raw as Record<string, unknown>;
    Promise.resolve(handle(message)).then(
      (result) => process.send?.({ id: message.id, result }),
      (error: unknown) => process.send?.({ id: message.id, result: { error: String(error) } }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', ...info });
}
