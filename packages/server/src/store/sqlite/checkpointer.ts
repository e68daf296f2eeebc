import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop (issue #18, finding 11; decision 0045). Under
 * `synchronous=NORMAL` a WAL commit writes its frames without an fsync; the fsyncs happen at
 * checkpoints, and SQLite's automatic checkpoint runs them inside whichever commit crosses 1,000
 * pages, i.e. on the request path: the event loop then waits for the disk (the 80–87 % busy core
 * the second harness saw). Here the serving connection's automatic checkpoint is off and a worker
 * thread with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`: PASSIVE
 * never takes the write lock and never waits for readers, so writers are not held up; the copy and
 * both fsyncs (WAL, then database file) happen on the worker's thread.
 *
 * Durability is not weakened: a commit is on disk after the next checkpoint at the latest, and
 * that is now at most `intervalMs` later, where an automatic checkpoint could be 1,000 pages away
 * on a quiet server. If the worker fails or exits, `onFailure` runs (the store turns the automatic
 * checkpoint back on).
 */
export interface Checkpointer {
  /** Stops the worker; what is in the WAL is checkpointed when the last connection closes. */
  stop(): Promise<void>;
}

export interface CheckpointerEvents {
  /** The worker failed or exited on its own. */
  onFailure: (error: unknown) => void;
  /** One checkpoint completed (one or two fsyncs), leaving `frames` frames in the WAL. */
  onCheckpoint?: (frames: number) => void;
}

// Plain JavaScript, evaluated in the worker: no module loading, so it works from any entry point.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
let last = -1;
setInterval(() => {
  // { busy, log: WAL frames, checkpointed }: a message only when the WAL changed since the last one.
  let row = checkpoint.get();
  // Just caught up: only the frames of the last few commits are left to copy while writers wait.
  if (row.log >= workerData.restartFrames) row = restart.get();
  if (row.log > 0 && row.log !== last) parentPort.postMessage(row);
  last = row.log;
}, workerData.intervalMs);
`;

/**
 * WAL frames past which the worker follows its PASSIVE checkpoint with a RESTART one (4,096 frames:
 * 16 MiB of 4 KiB pages). A WAL starts again from its beginning only when a write begins with every
 * frame copied back, and under steady writes a PASSIVE checkpoint on another thread never ends
 * with every frame copied: the bench's WAL grew without bound (4.7 GB in two minutes), every commit
 * extending the file. RESTART takes the write lock to copy the last frames (the few commits since
 * the PASSIVE pass), so the serving connection's next write waits that long, then starts the WAL
 * over.
 */
export const WAL_RESTART_FRAMES = 4096;

export function startCheckpointer(
  path: string,
  intervalMs: number,
  events: CheckpointerEvents,
  restartFrames = WAL_RESTART_FRAMES,
): Checkpointer {
  const { onFailure } = events;
  let stopping = false;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, intervalMs, restartFrames },
  });
  worker.on('message', (row: { log: number }) => events.onCheckpoint?.(row.log));
  worker.on('error', (error) => {
    if (!stopping) onFailure(error);
  });
  worker.on('exit', (code) => {
    if (!stopping) onFailure(new Error(`the checkpoint worker exited (${code})`));
  });
  // The worker is housekeeping: it never keeps the process alive. After the listeners, because a
  // 'message' listener refs the worker's port again (a script that only builds a server would
  // otherwise never exit).
  worker.unref();
  return {
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
}
