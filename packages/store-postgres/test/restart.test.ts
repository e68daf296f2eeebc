/**
 * Database faults under real traffic, against a throwaway PostgreSQL that the tests stop and start
 * again (./support/postgres-server.ts): a database that is down, a connection dropped in the middle
 * of a transaction, a pool with no free connection, and a restart in the middle of a stream of token
 * requests over two instances. Every request either succeeds or answers a clean 503
 * temporarily_unavailable (never a 500, never a hang), nothing is half-written, no refresh token
 * succeeds twice, and the pools recover by themselves.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { refreshTokenDigest } from '@gatehouse-oauth/server';
import pg from 'pg';
import { CLIENT_ID, type Cluster, startCluster } from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();
after(() => postgres?.stop());

/** Bounds a hang, not a duration: a request stuck this long is a failure. */
const REQUEST_DEADLINE_MS = 15_000;

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: string; refresh_token?: string };
}

async function answer(response: Promise<Response>): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('request hung past its deadline')), REQUEST_DEADLINE_MS);
  });
  try {
    const settled = await Promise.race([response, hung]);
    const text = await settled.text();
    const body = settled.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : {};
    return { status: settled.status, headers: settled.headers, body };
  } finally {
    clearTimeout(timer);
  }
}

const refresh = (refreshToken: string) => ({
  grant_type: 'refresh_token',
  refresh_token: refreshToken,
  client_id: CLIENT_ID,
});

function assertUnavailable(a: Answer, what: string): void {
  assert.equal(a.status, 503, `${what}: ${JSON.stringify(a.body)}`);
  assert.equal(a.headers.get('retry-after'), '1', what);
}

/** Polls `condition` until it holds; the deadline only bounds a hang. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 5) {
    if (waited > REQUEST_DEADLINE_MS) throw new Error(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

/** A plain connection that holds a row lock, so a store statement waits on it (and can be killed). */
async function lockRefreshToken(schema: string, token: string) {
  const admin = new pg.Client({ connectionString: postgres!.connectionString });
  await admin.connect();
  await admin.query('BEGIN');
  await admin.query(
    `SELECT 1 FROM ${pg.escapeIdentifier(schema)}.refresh_tokens WHERE digest = $1 FOR UPDATE`,
    [refreshTokenDigest(token)],
  );
  return {
    /** The backend of a Gatehouse connection waiting on this lock, once there is one. */
    async waiter(): Promise<number> {
      let pid: number | undefined;
      await until(async () => {
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'gatehouse' AND wait_event_type = 'Lock'`,
        );
        pid = rows[0]?.pid;
        return pid !== undefined;
      }, 'a store statement waiting on the lock');
      return pid!;
    },
    terminate: (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]),
    async release() {
      await admin.query('ROLLBACK');
      await admin.end();
    },
  };
}

describe('database faults', { skip }, () => {
  let cluster: Cluster;
  let opened: Cluster | undefined;
  // One cluster per test; the previous one is closed when the next opens, the last by after().
  const open = async (schema: string, count: number, poolSize: number, connectionTimeoutMillis: number) => {
    await opened?.close();
    opened = undefined;
    cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema,
      count,
      poolSize,
      connectionTimeoutMillis,
      server: { lifetimes: { refreshGraceSeconds: 0 } },
    });
    opened = cluster;
    return cluster;
  };
  const tokensFor = async (via: number) => {
    const redeemed = await answer(
      cluster.instances[via]!.token(cluster.redeemParams(await cluster.authorizationCode(via))),
    );
    assert.equal(redeemed.status, 200);
    return redeemed.body.refresh_token!;
  };
  const unavailableLines = () => cluster.logs.filter((line) => line.msg === 'store unavailable');
  after(() => opened?.close());

  it('with PostgreSQL down, JSON and HTML endpoints answer 503 with one log line, and recover', async () => {
    await open('down', 2, 4, 2000);
    const token = await tokensFor(0);
    await postgres!.shutdown();
    try {
      const refused = await answer(cluster.instances[1]!.token(refresh(token)));
      assertUnavailable(refused, 'token endpoint');
      assert.equal(refused.body.error, 'temporarily_unavailable');
      assert.equal(refused.headers.get('cache-control'), 'no-store');
      // The authorization flow shows the server's own page (never a redirect to the client).
      const page = await answer(cluster.instances[0]!.send(cluster.authorizationUrl().href));
      assertUnavailable(page, 'authorization endpoint');
      assert.equal(page.headers.get('location'), null);
    } finally {
      await postgres!.start();
    }
    const lines = unavailableLines();
    assert.equal(lines.length, 2, 'one line per failed request');
    for (const line of lines) {
      assert.equal(line.code, 'ECONNREFUSED');
      assert.equal(line.err, undefined, 'no stack per request');
    }
    assert.deepEqual(
      cluster.logs.filter((line) => (line.level as number) >= 50),
      [],
      'nothing logged as an error',
    );
    // The pool reconnects by itself, and the refused request consumed nothing.
    const retried = await answer(cluster.instances[1]!.token(refresh(token)));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
  });

  it('a connection dropped in the middle of a rotation answers 503 and writes nothing', async () => {
    await open('dropped', 2, 4, 2000);
    const token = await tokensFor(0);
    const lock = await lockRefreshToken('dropped', token);
    let pending: Promise<Answer> | undefined;
    try {
      pending = answer(cluster.instances[0]!.token(refresh(token)));
      await lock.terminate(await lock.waiter());
      assertUnavailable(await pending, 'rotation whose connection was terminated');
    } finally {
      await lock.release();
    }
    assert.deepEqual(
      unavailableLines().map((line) => line.code),
      ['57P01'],
    );
    // The transaction was rolled back whole: the token was not used, so it still rotates (once).
    assert.equal(
      (await cluster.instances[1]!.store.refreshTokens.get(refreshTokenDigest(token)))?.usedAt,
      undefined,
    );
    assert.equal((await answer(cluster.instances[1]!.token(refresh(token)))).status, 200);
  });

  it('a pool with no free connection answers 503 after its connection timeout, not a queue', async () => {
    await open('exhausted', 1, 1, 200);
    const [first, second] = [await tokensFor(0), await tokensFor(0)];
    const lock = await lockRefreshToken('exhausted', first);
    try {
      // The only connection waits on the lock inside the rotation of `first`...
      const holding = answer(cluster.instances[0]!.token(refresh(first)));
      await lock.waiter();
      // ...so another request cannot get one.
      assertUnavailable(await answer(cluster.instances[0]!.token(refresh(second))), 'pool exhausted');
      await lock.release();
      assert.equal((await holding).status, 200);
    } catch (error) {
      await lock.release().catch(() => {});
      throw error;
    }
    assert.match(String(unavailableLines()[0]?.detail), /timeout exceeded when trying to connect/);
    assert.equal((await answer(cluster.instances[0]!.token(refresh(second)))).status, 200);
  });

  it('a PostgreSQL restart in the middle of a stream of refresh rotations over 2 instances', async () => {
    await open('stream', 2, 4, 2000);
    const CHAINS = 4;
    /** Answers other than 503 the stream gives (503s are retried and bounded separately). */
    const BUDGET = 300;
    const MAX_UNAVAILABLE = 3000;
    // Codes prepared up front: each chain starts from one, and starts again from another if it is lost.
    const codes: string[] = [];
    for (let index = 0; index < 12; index++) codes.push(await cluster.authorizationCode(index % 2));

    let phase: 'before' | 'restarting' | 'after' = 'before';
    const count = { answered: 0, ok: 0, okAfter: 0, unavailable: 0, lost: 0 };
    const successes = new Map<string, number>();
    const problems: string[] = [];
    const live: string[] = [];
    let turn = 0;

    /** One chain: redeem a code, then rotate its refresh token until the budget is spent. */
    async function chain(): Promise<void> {
      let credential: { params: Record<string, string>; key: string } | undefined;
      let uncertain = false;
      while (count.answered < BUDGET && count.unavailable < MAX_UNAVAILABLE && problems.length === 0) {
        if (credential === undefined) {
          const code = codes.shift();
          if (code === undefined) return;
          credential = { params: cluster.redeemParams(code), key: `code:${code}` };
          uncertain = false;
        }
        const a: Answer = await answer(cluster.instances[turn++ % 2]!.token(credential.params)).catch(
          (error: unknown) => ({ status: 0, headers: new Headers(), body: { error: String(error) } }),
        );
        if (
          a.status === 503 &&
          a.headers.get('retry-after') === '1' &&
          a.body.error === 'temporarily_unavailable'
        ) {
          count.unavailable++;
          // The answer was lost; whether the database committed first is unknown until the retry.
          uncertain = true;
          await sleep(10);
          continue;
        }
        count.answered++;
        if (a.status === 200) {
          successes.set(credential.key, (successes.get(credential.key) ?? 0) + 1);
          count.ok++;
          if (phase === 'after') count.okAfter++;
          const next = a.body.refresh_token!;
          credential = { params: refresh(next), key: `refresh:${next}` };
          uncertain = false;
        } else if (a.status === 400 && a.body.error === 'invalid_grant' && uncertain) {
          // The rotation (or redemption) committed but its answer was lost with the connection: with
          // no grace, the retry is a reuse and ends the session cleanly. Start another chain.
          count.lost++;
          credential = undefined;
        } else {
          problems.push(`${a.status} ${JSON.stringify(a.body)} in phase ${phase}`);
        }
      }
      if (credential?.key.startsWith('refresh:') === true) live.push(credential.params.refresh_token!);
    }

    const stream = Promise.all(Array.from({ length: CHAINS }, () => chain()));
    const settled = { done: false };
    void stream.finally(() => {
      settled.done = true;
    });
    await until(() => count.ok >= 40 || settled.done, 'successes before the restart');
    phase = 'restarting';
    await postgres!.shutdown();
    await until(() => count.unavailable >= 8 || settled.done, 'requests failing while the database is down');
    await postgres!.start();
    phase = 'after';
    await stream;

    assert.deepEqual(problems, [], 'every answer a success or a clean 503 (never a 500, never a hang)');
    // Each chain checks the budget before its request, so the last round may go a few past it.
    assert.ok(count.answered >= BUDGET && count.answered < BUDGET + CHAINS, 'the stream ran to its end');
    assert.ok(count.unavailable >= 8, `requests failed cleanly during the restart (${count.unavailable})`);
    assert.ok(count.okAfter > 0, 'the stream recovered after the restart');
    for (const [key, times] of successes) assert.equal(times, 1, `${key.split(':')[0]} succeeded twice`);
    // Besides the 503 lines, the one other line allowed: a token was issued (its state committed)
    // and then its audit event could not be stored as the database went down. The event is in
    // that log line instead, and the client got its token (context.ts audit()).
    assert.deepEqual(
      cluster.logs.filter(
        (line) => line.msg !== 'store unavailable' && line.msg !== 'audit event not stored',
      ),
      [],
      'the 503 line and nothing else (no 500, no stack)',
    );
    assert.equal(unavailableLines().length, count.unavailable, 'one line per failed request');

    // Chain integrity: the newest token of each chain works, once; the one it replaced does not.
    assert.ok(live.length > 0);
    for (const token of live) {
      const next = await answer(cluster.instances[0]!.token(refresh(token)));
      assert.equal(next.status, 200, JSON.stringify(next.body));
      // A millisecond later (the store counts the same millisecond as in grace, even with 0).
      cluster.advance(1);
      assert.equal((await answer(cluster.instances[1]!.token(refresh(token)))).status, 400);
    }
    console.log(`# stream: ${JSON.stringify(count)}`);
  });
});
