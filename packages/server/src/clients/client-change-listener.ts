/**
 * Applies the client change feed (store/client-change-feed.ts) to this instance's memory: a client
 * removed through another instance, or by `gatehouse clients remove` against the same database,
 * stops being answered from this instance's caches within one poll (default every second; the
 * issue's bound is 2 s).
 *
 * A PostgreSQL sequence is assigned when a row is inserted, not when it commits, so a change may
 * become visible after one with a greater sequence was already read. The listener therefore keeps
 * its cursor a few polls behind what it has seen and re-reads that window, applying each change
 * once (evicting is idempotent anyway). SQLite serialises writers, so there the window is moot.
 */
import type { ClientChange, ClientChangeFeed } from '../store/store.ts';

export interface ClientChangeListenerOptions {
  feed: ClientChangeFeed;
  /** Drops what this instance holds for the client. Must not throw. */
  apply(change: ClientChange): void;
  intervalMs: number;
  onError(error: unknown): void;
}

export interface ClientChangeListener {
  /** Reads and applies what is new now (tests; the timer calls it too). */
  poll(): Promise<void>;
  stop(): void;
}

/** Changes read per store call; a fuller batch is followed by another read at once. */
const BATCH = 500;
/** How many polls back the cursor stays, so a late-committing change is still read. */
const REREAD_POLLS = 3;

export function startClientChangeListener(options: ClientChangeListenerOptions): ClientChangeListener {
  // Changes published before this instance started concern nothing it holds. Should the store not
  // answer now, every change still kept is read once instead: evicting what is not held is free.
  let floor: Promise<number> | number = options.feed.latest().catch(() => 0);
  const applied = new Set<number>();
  const seenAtPoll: number[] = [];
  let polling: Promise<void> | undefined;

  async function readOnce(): Promise<void> {
    const base = await floor;
    let highest = seenAtPoll.at(-1) ?? base;
    let cursor = base;
    for (;;) {
      const changes = await options.feed.since(cursor, BATCH);
      for (const change of changes) {
        if (applied.has(change.sequence)) continue;
        applied.add(change.sequence);
        options.apply(change);
      }
      if (changes.length > 0) {
        cursor = changes.at(-1)!.sequence;
        highest = Math.max(highest, cursor);
      }
      if (changes.length < BATCH) break;
    }
    seenAtPoll.push(highest);
    if (seenAtPoll.length > REREAD_POLLS) {
      const next = seenAtPoll.shift()!;
      floor = next;
      for (const sequence of applied) if (sequence <= next) applied.delete(sequence);
    }
  }

  const poll = (): Promise<void> => {
    // One read at a time: a slow store never stacks polls.
    polling ??= readOnce().finally(() => {
      polling = undefined;
    });
    return polling;
  };

  const timer = setInterval(() => {
    poll().catch(options.onError);
  }, options.intervalMs);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
