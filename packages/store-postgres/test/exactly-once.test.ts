/**
 * Issue #18, finding 2, on PostgreSQL: an outage in the middle of a code exchange answered 503
 * ("retry after 1 s") with the code used and no tokens issued, and the retry got "already used".
 * Now an exchange and a rotation each commit once (decision 0036), so a retry after a failure either
 * succeeds (nothing had committed) or gets the same answer (the commit's answer was lost): never a
 * used code with no session, never a second chain. Against a throwaway PostgreSQL the tests stop
 * and start (./support/postgres-server.ts), with two instances (./support/instances.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digest, refreshTokenDigest, type Store } from '@gatehouse-oauth/server';
import pg from 'pg';
import { markStoreUnavailable } from '../src/index.ts';
import { CLIENT_ID, type Cluster, startCluster } from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();
after(() => postgres?.stop());

/** Bounds a hang, not a duration. */
const DEADLINE_MS = 15_000;

interface Answer {
  status: number;
  body: { error?: string; refresh_token?: string; access_token?: string };
}

async function answer(response: Promise<Response>): Promise<Answer> {
  const settled = await response;
  return { status: settled.status, body: (await settled.json()) as Answer['body'] };
}

const refresh = (token: string) => ({
  grant_type: 'refresh_token',
  refresh_token: token,
  client_id: CLIENT_ID,
});

/** Polls `condition` until it holds; the deadline only bounds a hang. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 5) {
    if (waited > DEADLINE_MS) throw new Error(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

/** A plain client on the test database, for holding locks and reading what the store wrote. */
async function admin(schema: string) {
  const client = new pg.Client({ connectionString: postgres!.connectionString });
  await client.connect();
  await client.query(`SET search_path = ${pg.escapeIdentifier(schema)}`);
  return client;
}

/** Every family with no refresh token, and every redeemed code with no family: both must be none. */
async function orphans(schema: string): Promise<{ families: number; codes: number }> {
  const client = await admin(schema);
  try {
    const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
    return {
      families: await count(
        `SELECT count(*) AS n FROM token_families f WHERE created_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.id)`,
      ),
      codes: await count(
        `SELECT count(*) AS n FROM authorization_codes c WHERE redeemed_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM token_families f WHERE f.id = c.family_id)`,
      ),
    };
  } finally {
    await client.end();
  }
}

/** The refresh tokens of a code's family, as [digest, used]. */
async function chainOf(schema: string, code: string): Promise<[string, boolean][]> {
  const client = await admin(schema);
  try {
    const { rows } = await client.query<{ digest: string; used_at: string | null }>(
      `SELECT r.digest, r.used_at FROM refresh_tokens r
       JOIN authorization_codes c ON c.family_id = r.family_id WHERE c.digest = $1
       ORDER BY r.issued_at, r.used_at IS NULL`,
      [digest(code)],
    );
    return rows.map((row) => [row.digest, row.used_at !== null]);
  } finally {
    await client.end();
  }
}

/** Fails the first call of `method` after it committed, as a connection lost before its answer. */
function loseFirstAnswer<T extends object>(target: T, method: keyof T): T {
  let lost = false;
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  return {
    ...target,
    [method]: async (...args: unknown[]) => {
      const result = await original.apply(target, args);
      if (lost) return result;
      lost = true;
      throw markStoreUnavailable(new Error('Connection terminated unexpectedly'));
    },
  };
}

describe('exactly-once exchanges through a PostgreSQL outage', { skip }, () => {
  let opened: Cluster | undefined;
  const open = async (schema: string, wrapStore?: (store: Store, index: number) => Store) => {
    await opened?.close();
    opened = await startCluster({
      connectionString: postgres!.connectionString,
      schema,
      count: 2,
      poolSize: 4,
      connectionTimeoutMillis: 2000,
      ...(wrapStore === undefined ? {} : { wrapStore }),
    });
    return opened;
  };
  after(() => opened?.close());

  it('a connection dropped in the middle of a code exchange answers 503, and the retry succeeds', async () => {
    const cluster = await open('mid_exchange');
    const code = await cluster.authorizationCode(0);
    // Inserts into refresh_tokens wait on this lock: the exchange is caught half-way through.
    const holder = await admin('mid_exchange');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE refresh_tokens IN EXCLUSIVE MODE');
    try {
      const pending = answer(cluster.instances[0]!.token(cluster.redeemParams(code)));
      let pid: number | undefined;
      await until(async () => {
        const { rows } = await holder.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'gatehouse' AND wait_event_type = 'Lock'`,
        );
        pid = rows[0]?.pid;
        return pid !== undefined;
      }, 'the exchange waiting on the lock');
      await holder.query('SELECT pg_terminate_backend($1)', [pid]);
      assert.equal((await pending).status, 503);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // Nothing of it committed: the retry is the first redemption, on the other instance.
    const retry = await answer(cluster.instances[1]!.token(cluster.redeemParams(code)));
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.deepEqual(await chainOf('mid_exchange', code), [
      [refreshTokenDigest(retry.body.refresh_token!), false],
    ]);
    assert.deepEqual(await orphans('mid_exchange'), { families: 0, codes: 0 });
  });

  it('an exchange whose answer was lost after its commit: the retry gets the same session and token', async () => {
    const cluster = await open('lost_exchange', (store, index) =>
      index === 0
        ? { ...store, authorizationCodes: loseFirstAnswer(store.authorizationCodes, 'exchange') }
        : store,
    );
    const code = await cluster.authorizationCode(0);
    assert.equal((await answer(cluster.instances[0]!.token(cluster.redeemParams(code)))).status, 503);
    const retry = await answer(cluster.instances[1]!.token(cluster.redeemParams(code)));
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.deepEqual(await chainOf('lost_exchange', code), [
      [refreshTokenDigest(retry.body.refresh_token!), false],
    ]);
    assert.equal((await answer(cluster.instances[1]!.token(refresh(retry.body.refresh_token!)))).status, 200);
  });

  it('a rotation whose answer was lost after its commit: the retry gets its one successor', async () => {
    const cluster = await open('lost_rotation', (store, index) =>
      index === 0 ? { ...store, refreshTokens: loseFirstAnswer(store.refreshTokens, 'rotate') } : store,
    );
    const code = await cluster.authorizationCode(1);
    const issued = await answer(cluster.instances[1]!.token(cluster.redeemParams(code)));
    const presented = issued.body.refresh_token!;
    assert.equal((await answer(cluster.instances[0]!.token(refresh(presented)))).status, 503);
    const retry = await answer(cluster.instances[1]!.token(refresh(presented)));
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.deepEqual(await chainOf('lost_rotation', code), [
      [refreshTokenDigest(presented), true],
      [refreshTokenDigest(retry.body.refresh_token!), false],
    ]);
  });

  it('a PostgreSQL restart in the middle of a stream of code exchanges: every code ends in its session', async () => {
    const cluster = await open('restart_exchanges');
    const CODES = 30;
    const codes: string[] = [];
    for (let index = 0; index < CODES; index++) codes.push(await cluster.authorizationCode(index % 2));

    let unavailable = 0;
    let answered = 0;
    const outcomes = new Map<string, Answer>();
    /** One client: redeems its code, retrying a 503 as told (here after 10 ms), until it has an answer. */
    const client = async (code: string, index: number) => {
      await sleep(index * 20); // spread out, so that the restart falls in the middle
      for (let attempt = 0; ; attempt++) {
        const a = await answer(cluster.instances[attempt % 2]!.token(cluster.redeemParams(code)));
        if (a.status !== 503) {
          answered++;
          outcomes.set(code, a);
          return;
        }
        unavailable++;
        await sleep(10);
      }
    };
    const stream = Promise.all(codes.map(client));
    await until(() => answered >= 5, 'exchanges before the restart');
    await postgres!.shutdown();
    await until(() => unavailable >= 5, 'exchanges failing while the database is down');
    await postgres!.start();
    await stream;

    const statuses = codes.map(
      (code) => `${outcomes.get(code)?.status} ${outcomes.get(code)?.body.error ?? ''}`,
    );
    assert.deepEqual(statuses, Array(CODES).fill('200 '), 'every code redeemed, never "already used"');
    for (const code of codes) {
      const tokens = await chainOf('restart_exchanges', code);
      assert.deepEqual(
        tokens,
        [[refreshTokenDigest(outcomes.get(code)!.body.refresh_token!), false]],
        'one session, its token',
      );
    }
    assert.deepEqual(await orphans('restart_exchanges'), { families: 0, codes: 0 });
    console.log(`# exchanges: ${CODES}, 503 answers retried: ${unavailable}`);
  });
});
