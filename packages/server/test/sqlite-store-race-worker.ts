/**
 * One racer of sqlite-store.test.ts: a worker thread with its own SQLite connection (its own
 * openSqliteStore) on the shared file. Every worker waits at a start barrier, then runs the same
 * rounds of contract operations on the same keys, and reports what it won.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';

export interface RaceInput {
  task: 'race' | 'open';
  path: string;
  worker: number;
  rounds: number;
  now: number;
  /** Int32Array[0]: 0 until the main thread releases every worker at once. */
  barrier: SharedArrayBuffer;
}

export interface RoundResult {
  redeemed: boolean;
  rotated: boolean;
  consumed: boolean;
  remembered: boolean;
  userCreated: boolean;
  grantId: string;
  secret: string;
}

const input = workerData as RaceInput;
const barrier = new Int32Array(input.barrier);

if (input.task === 'open') {
  // Migration race: every worker opens the same fresh file at once.
  Atomics.wait(barrier, 0, 0);
  const store = openSqliteStore({ path: input.path });
  await store.close();
  parentPort!.postMessage({ done: true });
} else {
  const store = openSqliteStore({ path: input.path });
  parentPort!.postMessage({ ready: true });
  Atomics.wait(barrier, 0, 0);

  const { worker, now } = input;
  const results: RoundResult[] = [];
  for (let round = 0; round < input.rounds; round++) {
    const tag = `w${worker}-r${round}`;
    const redeem = await store.authorizationCodes.redeem(`code-${round}`, `family-${tag}`, now);
    const rotate = await store.refreshTokens.rotate(
      `token-${round}`,
      { digest: `token-${round}-${tag}`, familyId: 'family-0', issuedAt: now, expiresAt: now + 60_000 },
      now,
      { graceMs: 0, reuseCount: 0 },
    );
    const consumed = await store.authorizationRequests.consume(`request-${round}`, now);
    const remembered = await store.replay.remember(`jti-${round}`, now + 60_000, now);
    const userCreated = await store.users.create({
      id: `user-${tag}`,
      username: `user-${round}`,
      passwordHash: 'hash',
      createdAt: now,
    });
    const grant = await store.grants.upsert({
      id: `grant-${tag}`,
      userId: 'u1',
      clientId: 'c1',
      redirectUri: `http://127.0.0.1/${round}`,
      scope: [`scope-w${worker}`],
      resources: [],
      now,
    });
    const secret = await store.serverSecrets.getOrCreate(`secret-${round}`, () => tag);
    results.push({
      redeemed: redeem.outcome === 'redeemed',
      rotated: rotate.outcome === 'rotated',
      consumed: consumed !== undefined,
      remembered,
      userCreated,
      grantId: grant.id,
      secret,
    });
  }
  await store.close();
  parentPort!.postMessage({ results });
}
