/**
 * Issue #18, finding 9: instances whose clocks disagree by ±90 s let a rotated token be used again on
 * another instance and expired codes as they crossed instances. Every instance on one PostgreSQL now
 * takes its time from the database server's clock (database-clock.ts, decision 0036). The offset
 * arithmetic is tested on its own; then two instances whose own clocks are 90 s fast and 90 s slow
 * run a code and a refresh across each other, against a real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { refreshTokenDigest } from '@gatehouse-oauth/server';
import pg from 'pg';
import { type ClockSample, clockOffset } from '../src/database-clock.ts';
import { openPostgresStore } from '../src/index.ts';
import { CLIENT_ID, startCluster } from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();
after(() => postgres?.stop());

const SKEW = 90_000;
/** Half the skew: a clock within it is the database's, not the instance's own. */
const WITHIN = SKEW / 2;

describe('clockOffset', () => {
  const sample = (sentAt: number, databaseAt: number, receivedAt: number): ClockSample => ({
    sentAt,
    databaseAt,
    receivedAt,
  });
  const cases: [string, ClockSample[], number][] = [
    ['the database read its clock halfway through the round trip', [sample(1000, 5010, 1020)], 4000],
    ['a clock ahead of the database has a negative offset', [sample(5000, 2000, 5000)], -3000],
    [
      'the sample with the shortest round trip wins',
      [sample(0, 900, 400), sample(1000, 1505, 1010), sample(2000, 2700, 2300)],
      500,
    ],
  ];
  for (const [name, samples, offset] of cases) it(name, () => assert.equal(clockOffset(samples), offset));
  it('refuses no samples', () => assert.throws(() => clockOffset([])));
});

describe('the database clock', { skip }, () => {
  const databaseNow = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: postgres!.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ at: number }>(
        'SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS at',
      );
      return Number(rows[0]!.at);
    } finally {
      await client.end();
    }
  };

  it("a store's clock is the database's, whatever the instance's own clock says", async () => {
    const stores = await Promise.all(
      [SKEW, -SKEW].map((skew) =>
        openPostgresStore({
          connectionString: postgres!.connectionString,
          schema: 'clock',
          localClock: () => Date.now() + skew,
        }),
      ),
    );
    try {
      const reference = await databaseNow();
      for (const store of stores) assert.ok(Math.abs(store.clock!() - reference) < WITHIN);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('a code issued on a slow instance is redeemed on a fast one; a rotation is timed by the database', async () => {
    // Instance 0 runs 90 s slow, instance 1 90 s fast: on their own clocks a code issued on 0 (60 s
    // lifetime) is expired on 1, and a token rotated on 1 stays "just used" for 3 minutes on 0.
    const cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema: 'skew',
      count: 2,
      localClocks: [() => Date.now() - SKEW, () => Date.now() + SKEW],
    });
    try {
      const code = await cluster.authorizationCode(0);
      const redeemed = await cluster.instances[1]!.token(cluster.redeemParams(code));
      const tokens = (await redeemed.json()) as { refresh_token: string };
      assert.equal(redeemed.status, 200, JSON.stringify(tokens));

      const refreshed = await cluster.instances[1]!.token({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: CLIENT_ID,
      });
      assert.equal(refreshed.status, 200);
      const usedAt = (
        await cluster.instances[0]!.store.refreshTokens.get(refreshTokenDigest(tokens.refresh_token))
      )?.usedAt;
      assert.ok(
        usedAt !== undefined && Math.abs(usedAt - (await databaseNow())) < WITHIN,
        'on the database clock',
      );
    } finally {
      await cluster.close();
    }
  });
});
