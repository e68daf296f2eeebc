import type pg from 'pg';

/**
 * The database server's clock, as every instance on one database reads it (decision 0036): the
 * instances' own clocks may disagree (issue #18 found ±90 s), and the exactly-once decisions of one
 * instance (the refresh grace, code and pushed-request expiry) compare times another instance
 * wrote. So each instance measures the offset of its clock to PostgreSQL's `clock_timestamp()` when
 * the store opens and every minute after, and adds it: no query per request, and every instance is
 * within a round trip's half of the database's time, and so of each other's.
 */
export interface DatabaseClock {
  /** Epoch milliseconds on the database server's clock. */
  now(): number;
  /** Measures the offset again; keeps the last one when the database cannot be reached. */
  sync(): Promise<void>;
  /** Stops the periodic measurement. */
  stop(): void;
}

/** One reading: the local clock before the query, the database's answer, the local clock after. */
export interface ClockSample {
  sentAt: number;
  databaseAt: number;
  receivedAt: number;
}

/** Readings per measurement: the one with the shortest round trip is the most precise. */
const SAMPLES = 3;
const RESYNC_MS = 60_000;

/**
 * The offset (database minus local) a set of samples gives: of the sample with the shortest round
 * trip, assuming the database read its clock halfway through it, so the error is at most half that
 * round trip (Cristian's algorithm).
 */
export function clockOffset(samples: readonly ClockSample[]): number {
  let best: ClockSample | undefined;
  for (const sample of samples) {
    if (best === undefined || sample.receivedAt - sample.sentAt < best.receivedAt - best.sentAt)
      best = sample;
  }
  if (best === undefined) throw new Error('no clock sample');
  return Math.round(best.databaseAt - (best.sentAt + best.receivedAt) / 2);
}

export async function startDatabaseClock(
  pool: pg.Pool,
  options: { localClock?: () => number } = {},
): Promise<DatabaseClock> {
  const local = options.localClock ?? Date.now;
  let offset = 0;
  const sample = async (): Promise<ClockSample> => {
    const sentAt = local();
    const { rows } = await pool.query<{ at: number }>(
      'SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS at',
    );
    return { sentAt, databaseAt: Number(rows[0]!.at), receivedAt: local() };
  };
  const measure = async (): Promise<void> => {
    const samples: ClockSample[] = [];
    for (let index = 0; index < SAMPLES; index++) samples.push(await sample());
    offset = clockOffset(samples);
  };
  await measure();
  const timer = setInterval(() => {
    // An outage keeps the last offset: clocks drift by milliseconds a day, not in a minute.
    measure().catch(() => {});
  }, RESYNC_MS);
  timer.unref();
  return {
    now: () => local() + offset,
    sync: measure,
    stop: () => clearInterval(timer),
  };
}
