/** The outbound fetch governor: rate and concurrency caps, fast refusal, bounded host state (CIMD-FETCH-11). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createFetchGovernor,
  type FetchGovernorOptions,
  GovernorRefusedError,
  refill,
} from '../src/cimd/fetch-governor.ts';

function fakeClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** A task that runs until released. */
function gate(): {
  task: () => Promise<string>;
  release: (value?: string) => void;
  fail: (e: Error) => void;
} {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  return { task: () => promise, release: (v = 'done') => resolve(v), fail: reject };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GovernorRefusedError);
  return error.reason;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function governor(overrides: FetchGovernorOptions = {}) {
  const clock = fakeClock();
  return { clock, g: createFetchGovernor({ clock: clock.now, ...overrides }) };
}

describe('fetch governor', () => {
  it('refill is a pure token bucket capped at the burst', () => {
    assert.deepEqual(refill({ tokens: 0, updatedAt: 0 }, 500, 4, 10), { tokens: 2, updatedAt: 500 });
    assert.deepEqual(refill({ tokens: 9, updatedAt: 0 }, 10_000, 4, 10), { tokens: 10, updatedAt: 10_000 });
    // A clock that steps back never removes tokens.
    assert.deepEqual(refill({ tokens: 3, updatedAt: 100 }, 50, 4, 10), { tokens: 3, updatedAt: 50 });
  });

  it('refuses a host over its rate at once, and admits it again once tokens refill', async () => {
    const { clock, g } = governor({ perHostRatePerSecond: 1, burst: 2 });
    const ok = async () => 'ok';
    assert.equal(await g.run('a.example', ok), 'ok');
    assert.equal(await g.run('A.EXAMPLE', ok), 'ok'); // host names are case-insensitive
    assert.equal(await refusal(g.run('a.example', ok)), 'host_rate');
    assert.equal(await g.run('b.example', ok), 'ok'); // other hosts are not affected
    clock.advance(999);
    assert.equal(await refusal(g.run('a.example', ok)), 'host_rate');
    clock.advance(1);
    assert.equal(await g.run('a.example', ok), 'ok');
    assert.equal(g.stats().refused.host_rate, 2);
  });

  it('a host refused for its own rate does not drain the global bucket', async () => {
    const { g } = governor({ perHostRatePerSecond: 2, globalRatePerSecond: 3 });
    const ok = async () => 'ok';
    await g.run('a.example', ok);
    await g.run('a.example', ok);
    for (let i = 0; i < 20; i++) assert.equal(await refusal(g.run('a.example', ok)), 'host_rate');
    assert.equal(await g.run('b.example', ok), 'ok');
    assert.equal(await refusal(g.run('c.example', ok)), 'global_rate');
    assert.equal(g.stats().admitted, 3);
  });

  it('caps concurrency per host with a small per-host queue, FIFO, then refuses host_concurrency', async () => {
    const { g } = governor({ perHostConcurrency: 2, perHostMaxQueue: 1, perHostRatePerSecond: 100 });
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((x, i) =>
      g.run('a.example', () => {
        started.push(i);
        return x.task();
      }),
    );
    await flush();
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual({ active: g.stats().active, queued: g.stats().queued }, { active: 2, queued: 1 });
    assert.equal(await refusal(g.run('a.example', async () => 'x')), 'host_concurrency');
    gates[0]!.release('first');
    assert.equal(await runs[0], 'first');
    await flush();
    assert.deepEqual(started, [0, 1, 2]);
    gates[1]!.release();
    gates[2]!.release();
    await Promise.all(runs);
    assert.deepEqual({ active: g.stats().active, queued: g.stats().queued }, { active: 0, queued: 0 });
  });

  it('caps global concurrency with a bounded shared queue, then refuses global_concurrency', async () => {
    const { g } = governor({ globalConcurrency: 2, maxQueue: 1 });
    const a = gate();
    const b = gate();
    const c = gate();
    const runs = [g.run('a.example', a.task), g.run('b.example', b.task), g.run('c.example', c.task)];
    assert.equal(g.stats().queued, 1);
    assert.equal(await refusal(g.run('d.example', async () => 'x')), 'global_concurrency');
    a.release();
    b.release();
    c.release();
    await Promise.all(runs);
    assert.equal(g.stats().refused.global_concurrency, 1);
  });

  it('refuses queue_full when other hosts fill the shared queue', async () => {
    const { g } = governor({ perHostConcurrency: 1, maxQueue: 1, perHostMaxQueue: 5 });
    const gates = [gate(), gate(), gate()];
    const runs = [g.run('a.example', gates[0]!.task), g.run('a.example', gates[1]!.task)];
    runs.push(g.run('b.example', gates[2]!.task)); // b is idle: starts at once despite a's waiter
    assert.deepEqual({ active: g.stats().active, queued: g.stats().queued }, { active: 2, queued: 1 });
    assert.equal(await refusal(g.run('b.example', async () => 'x')), 'queue_full');
    for (const x of gates) x.release();
    await Promise.all(runs);
  });

  it('propagates task errors and frees the slot', async () => {
    const { g } = governor({ perHostConcurrency: 1, perHostMaxQueue: 0 });
    await assert.rejects(
      g.run('a.example', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await g.run('a.example', async () => 'again'), 'again');
    assert.equal(g.stats().active, 0);
  });

  it('keeps host state bounded: 100k distinct hosts never hold more than maxHosts', async () => {
    const { g } = governor({ maxHosts: 100, globalRatePerSecond: 1e9, globalBurst: 1e9 });
    const ok = async () => 1;
    for (let i = 0; i < 100_000; i++) await g.run(`h${i}.example`, ok);
    const s = g.stats();
    assert.equal(s.hosts, 100);
    assert.equal(s.hostsEvicted, 100_000 - 100);
    assert.equal(s.admitted, 100_000);
  });

  it('never forgets a busy host, even over maxHosts', async () => {
    const { g } = governor({ maxHosts: 1, perHostConcurrency: 1, perHostMaxQueue: 0 });
    const a = gate();
    const b = gate();
    const runs = [g.run('a.example', a.task), g.run('b.example', b.task)];
    assert.equal(g.stats().hosts, 2);
    // Both are running, so both concurrency counts survived the other's arrival.
    assert.equal(await refusal(g.run('a.example', async () => 1)), 'host_concurrency');
    assert.equal(await refusal(g.run('b.example', async () => 1)), 'host_concurrency');
    a.release();
    b.release();
    await Promise.all(runs);
    await g.run('c.example', async () => 1);
    assert.equal(g.stats().hosts, 1);
  });

  it('rejects nonsensical limits', () => {
    assert.throws(() => createFetchGovernor({ globalConcurrency: 0 }), TypeError);
    assert.throws(() => createFetchGovernor({ maxQueue: -1 }), TypeError);
  });
});
