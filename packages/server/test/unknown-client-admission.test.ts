/**
 * Admission control for unknown document client_ids (issue #18, finding 10; decision 0045): the
 * budget's bookkeeping step by step (pure: the test runs the "next turn" by hand), then the server:
 * with the budget spent, an unknown client_id is refused at once (503, Retry-After) while a known
 * client is served, and a stampede on one new client is still let through together.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import type { EventLoopLoad } from '../src/cimd/event-loop-load.ts';
import { slotRelease, unknownClientAdmission } from '../src/cimd/unknown-client-admission.ts';
import { createUnknownClientBudget, type Waiter } from '../src/cimd/unknown-client-budget.ts';
import type { ClientResolver } from '../src/clients/client-resolver.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer } from './support/test-server.ts';

function setup(options: { maxPending?: number; maxPendingPerHost?: number; concurrency?: number } = {}) {
  const turns: (() => void)[] = [];
  let concurrency = options.concurrency ?? 1;
  const budget = createUnknownClientBudget({
    maxPending: options.maxPending ?? 10,
    maxPendingPerHost: options.maxPendingPerHost ?? 10,
    concurrency: () => concurrency,
    nextTurn: (release) => turns.push(release),
  });
  const log: string[] = [];
  const waiter = (name: string): Waiter => ({
    admit: () => log.push(`admit ${name}`),
    expire: () => log.push(`expire ${name}`),
  });
  const nextTurn = () => {
    const due = turns.splice(0);
    for (const release of due) release();
  };
  return { budget, log, waiter, nextTurn, setConcurrency: (n: number) => (concurrency = n) };
}

describe('unknown client budget (pure)', () => {
  it('admits up to the concurrency, FIFO, and gives a slot back only on the next turn', () => {
    const t = setup({ concurrency: 1 });
    assert.equal(t.budget.offer('https://a.test/1', 'a.test', 0, t.waiter('1')), undefined);
    assert.equal(t.budget.offer('https://b.test/2', 'b.test', 0, t.waiter('2')), undefined);
    assert.equal(t.budget.offer('https://c.test/3', 'c.test', 0, t.waiter('3')), undefined);
    assert.deepEqual(t.log, ['admit 1']);
    assert.deepEqual(t.budget.stats(), { waiting: 2, running: 1 });
    t.budget.done('https://a.test/1');
    assert.deepEqual(t.log, ['admit 1'], 'not in the same turn: known clients go first');
    t.nextTurn();
    assert.deepEqual(t.log, ['admit 1', 'admit 2']);
    t.setConcurrency(4);
    t.budget.done('https://b.test/2');
    t.nextTurn();
    assert.deepEqual(t.log, ['admit 1', 'admit 2', 'admit 3']);
  });

  it('lets every request for one URL through together, counted once (a stampede is one fetch)', () => {
    const t = setup({ concurrency: 1, maxPending: 2 });
    t.budget.offer('https://a.test/x', 'a.test', 0, t.waiter('a1'));
    t.budget.offer('https://b.test/y', 'b.test', 0, t.waiter('b1'));
    t.budget.offer('https://b.test/y', 'b.test', 0, t.waiter('b2'));
    t.budget.offer('https://a.test/x', 'a.test', 0, t.waiter('a2'));
    assert.deepEqual(t.log, ['admit a1', 'admit a2'], 'joins the running URL at once');
    assert.equal(t.budget.offer('https://c.test/z', 'c.test', 0, t.waiter('c')), 'global');
    t.budget.done('https://a.test/x');
    t.nextTurn();
    assert.deepEqual(t.log, ['admit a1', 'admit a2'], 'a.test/x still has one request running');
    t.budget.done('https://a.test/x');
    t.nextTurn();
    assert.deepEqual(t.log, ['admit a1', 'admit a2', 'admit b1', 'admit b2']);
  });

  it('refuses over the global and the per-host budget without recording anything', () => {
    const t = setup({ concurrency: 1, maxPending: 3, maxPendingPerHost: 2 });
    t.budget.offer('https://a.test/1', 'a.test', 0, t.waiter('1'));
    t.budget.offer('https://a.test/2', 'a.test', 0, t.waiter('2'));
    assert.equal(t.budget.offer('https://a.test/3', 'a.test', 0, t.waiter('3')), 'host');
    assert.equal(t.budget.offer('https://b.test/1', 'b.test', 0, t.waiter('4')), undefined);
    assert.equal(t.budget.offer('https://c.test/1', 'c.test', 0, t.waiter('5')), 'global');
    assert.deepEqual(t.budget.stats(), { waiting: 2, running: 1 });
    // Finishing one frees its host's and the global budget at once (the slot on the next turn).
    t.budget.done('https://a.test/1');
    assert.equal(t.budget.offer('https://a.test/3', 'a.test', 0, t.waiter('3')), undefined);
  });

  it('expires URLs that waited too long, oldest first, and never a running one', () => {
    const t = setup({ concurrency: 1 });
    t.budget.offer('https://a.test/1', 'a.test', 0, t.waiter('1'));
    t.budget.offer('https://b.test/1', 'b.test', 100, t.waiter('2'));
    t.budget.offer('https://b.test/1', 'b.test', 150, t.waiter('2b'));
    t.budget.offer('https://c.test/1', 'c.test', 900, t.waiter('3'));
    assert.equal(t.budget.expire(1000, 500), 2, 'b.test/1 and its joined request');
    assert.deepEqual(t.log, ['admit 1', 'expire 2', 'expire 2b']);
    assert.deepEqual(t.budget.stats(), { waiting: 1, running: 1 });
    t.budget.done('https://a.test/1');
    t.nextTurn();
    assert.deepEqual(t.log.at(-1), 'admit 3');
  });
});

describe('admission control around the resolver chain', () => {
  function setup() {
    let now = 0;
    let overloaded = false;
    let busy = false;
    const load: EventLoopLoad = {
      busy: () => busy,
      overloaded: () => overloaded,
      last: () => ({ utilization: 0, meanDelayMs: 0 }),
      stop: () => undefined,
    };
    const gates = new Map<string, PromiseWithResolvers<void>>();
    const resolved: string[] = [];
    const inner: ClientResolver = {
      async resolve(clientId) {
        resolved.push(clientId);
        const gate = Promise.withResolvers<void>();
        gates.set(clientId, gate);
        await gate.promise;
        return undefined;
      },
    };
    const admission = unknownClientAdmission({
      knows: (clientId) => clientId === 'https://known.test/c',
      load,
      maxPending: 10,
      maxPendingPerHost: 10,
      concurrency: 2,
      concurrencyWhenBusy: 1,
      maxWaitMs: 1000,
      clock: () => now,
      nextTurn: (release) => queueMicrotask(release),
    });
    return {
      resolver: admission.decorator(inner),
      admission,
      resolved,
      finish: (clientId: string) => gates.get(clientId)?.resolve(),
      advance: (ms: number) => (now += ms),
      setBusy: (value: boolean) => (busy = value),
      setOverloaded: (value: boolean) => (overloaded = value),
    };
  }
  const reasonOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'resolved';
    } catch (error) {
      return (error as { reason?: string }).reason;
    }
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('sheds unknown client_ids at once while the event loop is overloaded, never a known one or a stored id', async () => {
    const t = setup();
    t.setOverloaded(true);
    assert.equal(await reasonOf(t.resolver.resolve('https://new.test/c')), 'cimd_admission_shed');
    const known = t.resolver.resolve('https://known.test/c');
    const stored = t.resolver.resolve('static-client');
    await tick();
    assert.deepEqual(t.resolved, ['https://known.test/c', 'static-client']);
    t.finish('https://known.test/c');
    t.finish('static-client');
    assert.equal(await reasonOf(known), 'resolved');
    assert.equal(await reasonOf(stored), 'resolved');
  });

  it('runs fewer unknown ids at once while busy, and refuses one that waited too long', async () => {
    const t = setup();
    t.setBusy(true);
    const first = t.resolver.resolve('https://a.test/1');
    const second = t.resolver.resolve('https://b.test/2');
    const third = t.resolver.resolve('https://c.test/3');
    await tick();
    assert.deepEqual(t.resolved, ['https://a.test/1'], 'one at a time while busy');
    t.advance(1000);
    t.admission.sweep();
    assert.equal(await reasonOf(second), 'cimd_admission_wait');
    assert.equal(await reasonOf(third), 'cimd_admission_wait');
    t.finish('https://a.test/1');
    assert.equal(await reasonOf(first), 'resolved');
    t.setBusy(false);
    const later = [t.resolver.resolve('https://d.test/4'), t.resolver.resolve('https://e.test/5')];
    await tick();
    assert.deepEqual(t.resolved.slice(1), ['https://d.test/4', 'https://e.test/5'], 'two at once when idle');
    t.finish('https://d.test/4');
    t.finish('https://e.test/5');
    await Promise.all(later);
  });
});

describe('the slot of a finished unknown id, while the server is busy', () => {
  it('comes back only after the pause while busy, and on the next turn otherwise', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
    let busy = true;
    const released: string[] = [];
    const release = slotRelease({ busy: () => busy }, 20);
    release(() => released.push('busy'));
    t.mock.timers.tick(19);
    assert.equal(released.length, 0, 'not before the pause');
    t.mock.timers.tick(1);
    assert.deepEqual(released, ['busy']);
    busy = false;
    release(() => released.push('idle'));
    t.mock.timers.tick(0);
    assert.deepEqual(released, ['busy', 'idle'], 'the next turn when not busy');
    const never = slotRelease({ busy: () => true }, 0);
    never(() => released.push('no pause'));
    t.mock.timers.tick(0);
    assert.deepEqual(released.at(-1), 'no pause', 'a pause of 0 is the next turn, busy or not');
  });
});

describe('admission control at the server (issue #18, finding 10)', () => {
  it('with the budget spent, an unknown client_id is refused at once (503) while a known client is served', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    // One host's fetch hangs: its client_id holds the only pending slot.
    const { promise: hang, resolve: release } = Promise.withResolvers<void>();
    const { promise: fetching, resolve: fetched } = Promise.withResolvers<void>();
    const fetch: SafeFetch = async (input, init) => {
      if (String(input).startsWith('https://slow.test/')) {
        fetched();
        await hang;
      }
      return documents.fetch(input, init);
    };
    const t = await createTestServer({ outboundFetch: fetch, cimd: { unknownPending: 1 } });
    // Known: resolved once while nothing else is pending.
    const first = await t.post('/par', t.authorizationParams({ client_id: CIMD_URL }));
    assert.equal(first.status, 201);

    const slow = t.post('/par', t.authorizationParams({ client_id: 'https://slow.test/c.json' }));
    await fetching;
    const refused = await t.post('/par', t.authorizationParams({ client_id: 'https://other.test/c.json' }));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = (await refused.json()) as { error: string };
    assert.equal(body.error, 'temporarily_unavailable');
    assert.equal(t.lastOutcome()?.reason, 'cimd_admission_full');

    const known = await t.post('/par', t.authorizationParams({ client_id: CIMD_URL }));
    assert.equal(known.status, 201, 'the known client does not wait for the unknown one');

    release();
    assert.equal((await slow).status, 401, 'the slow unknown one is answered (404: invalid_client)');
    const metric = await t.server.metrics.getSingleMetricAsString('gatehouse_cimd_admission_refusals_total');
    assert.match(metric, /reason="cimd_admission_full"\} 1/);
    await t.server.stop();
  });

  it('refuses past the per-host budget, and lets a stampede on one new client through together', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    const { promise: hang, resolve: release } = Promise.withResolvers<void>();
    const { promise: fetching, resolve: fetched } = Promise.withResolvers<void>();
    const fetch: SafeFetch = async (input, init) => {
      fetched();
      await hang;
      return documents.fetch(input, init);
    };
    const t = await createTestServer({ outboundFetch: fetch, cimd: { unknownPendingPerHost: 1 } });
    const stampede = Array.from({ length: 20 }, () =>
      t.post('/par', t.authorizationParams({ client_id: CIMD_URL })),
    );
    await fetching;
    const sameHost = await t.post(
      '/par',
      t.authorizationParams({ client_id: 'https://client.example.test/other.json' }),
    );
    assert.equal(sameHost.status, 503);
    assert.equal(t.lastOutcome()?.reason, 'cimd_admission_host_full');
    release();
    const statuses = (await Promise.all(stampede)).map((response) => response.status);
    assert.deepEqual(new Set(statuses), new Set([201]));
    assert.equal(documents.fetches(CIMD_URL), 1, 'one fetch for the twenty');
    await t.server.stop();
  });
});
