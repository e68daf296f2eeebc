/**
 * The store contract suite, continued: installation registrations of a shared (recognised)
 * registration (issue #17 item 2, decision 0046). Every Store implementation runs it
 * (memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with the
 * conventions of ./store-contract.ts: a fresh, empty store per test, explicit times around T.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ClientRecord, Store } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';
import { client, MINUTE, range, T } from './support/store-records.ts';

const CONCURRENCY = 20;

type Installation = ClientRecord & { registration: { sharedRegistration: string } };
type Shared = ClientRecord & { registration: { fingerprint: string } };

function shared(clientId: string, createdAt = T): Shared {
  const base = client(clientId);
  return {
    ...base,
    kind: 'dcr',
    metadata: { ...base.metadata, software_id: 'desktop-app' },
    createdAt,
    updatedAt: createdAt,
    registration: { accessTokenDigest: `rat-${clientId}`, fingerprint: 'fp-1', installationsOnly: true },
  };
}

function installation(clientId: string, sharedClientId: string, createdAt = T): Installation {
  const { registration: _anchor, ...base } = shared(clientId, createdAt);
  return {
    ...base,
    registration: { accessTokenDigest: `rat-${clientId}`, sharedRegistration: sharedClientId },
  };
}

export function describeSharedRegistrationStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;
  describe(`store contract (shared registrations): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('writes an installation while its shared record exists, and lists it in client_id order, paged', async () => {
      await store.clients.put(shared('s1'));
      await store.clients.put(shared('s2', T + MINUTE));
      assert.equal(await store.clients.putInstallation(installation('i3', 's1')), true);
      assert.equal(await store.clients.putInstallation(installation('i1', 's1')), true);
      assert.equal(await store.clients.putInstallation(installation('i2', 's2')), true);
      assert.deepEqual(await store.clients.get('i1'), installation('i1', 's1'));
      assert.deepEqual(await store.clients.listInstallations('s1'), ['i1', 'i3']);
      assert.deepEqual(await store.clients.listInstallations('s1', { limit: 1 }), ['i1']);
      assert.deepEqual(await store.clients.listInstallations('s1', { after: 'i1' }), ['i3']);
      assert.deepEqual(await store.clients.listInstallations('nobody'), []);
      // The shared record keeps the fingerprint; an installation has none.
      assert.equal((await store.clients.findByFingerprint('fp-1'))?.clientId, 's2');
    });

    it('refuses an installation of a shared record that does not exist, writing nothing', async () => {
      assert.equal(await store.clients.putInstallation(installation('i1', 'gone')), false);
      assert.equal(await store.clients.get('i1'), undefined);
    });

    it('a put without the link removes the installation from the list', async () => {
      await store.clients.put(shared('s1'));
      await store.clients.putInstallation(installation('i1', 's1'));
      const { sharedRegistration: _link, ...own } = installation('i1', 's1').registration;
      await store.clients.put({ ...installation('i1', 's1'), registration: own });
      assert.deepEqual(await store.clients.listInstallations('s1'), []);
      assert.equal((await store.clients.get('i1'))?.registration?.sharedRegistration, undefined);
    });

    it('deletes a shared record only when no installation names it', async () => {
      await store.clients.put(shared('s1'));
      await store.clients.putInstallation(installation('i1', 's1'));
      assert.equal(await store.clients.deleteUnlessInstallations('s1'), false);
      assert.notEqual(await store.clients.get('s1'), undefined);
      await store.clients.delete('i1');
      assert.equal(await store.clients.deleteUnlessInstallations('s1'), true);
      assert.equal(await store.clients.get('s1'), undefined);
      assert.equal(await store.clients.deleteUnlessInstallations('s1'), false);
    });

    it('never reaps a shared record an installation names', async () => {
      await store.clients.put(shared('s1'));
      await store.clients.put(shared('s2'));
      await store.clients.putInstallation(installation('i1', 's1', T + 10 * MINUTE));
      const criteria = { neverUsedCreatedBefore: T + 5 * MINUTE, idleSince: T, limit: 100 };
      assert.deepEqual(await store.clients.reapRegistrations(criteria), ['s2']);
      assert.notEqual(await store.clients.get('s1'), undefined);
    });

    it('the inventory listing leaves installations out, or lists only those of one shared record', async () => {
      await store.clients.put(shared('s1'));
      await store.clients.put(shared('s2', T + MINUTE));
      await store.clients.putInstallation(installation('i1', 's1'));
      await store.clients.putInstallation(installation('i2', 's1'));
      await store.clients.putInstallation(installation('i3', 's2'));
      const ids = async (query: Partial<Parameters<Store['inventory']['list']>[0]>) =>
        (await store.inventory.list({ sort: 'client_id', limit: 100, ...query })).map(
          (row) => row.record.clientId,
        );
      assert.deepEqual(await ids({}), ['i1', 'i2', 'i3', 's1', 's2']);
      assert.deepEqual(await ids({ withoutInstallations: true }), ['s1', 's2']);
      assert.deepEqual(await ids({ installationsOf: 's1' }), ['i1', 'i2']);
      assert.deepEqual(await ids({ installationsOf: 's1', limit: 1 }), ['i1']);
      // An installation's index term: what a rule on its shared record selects.
      const bySharedTerm = {
        all: false,
        clientIds: ['s1'],
        kinds: [],
        terms: [['shared_registration', 's1']],
      } as const;
      assert.deepEqual(await ids({ candidates: [bySharedTerm] }), ['i1', 'i2', 's1']);
    });

    it("an installation's activity is its shared record's too", async () => {
      await store.clients.put(shared('s1'));
      await store.clients.putInstallation(installation('i1', 's1'));
      await store.clients.putInstallation(installation('i2', 's1'));
      await store.inventory.recordActivity('i1', 'token', T + MINUTE);
      await store.inventory.recordActivity('i2', 'refresh', T + 2 * MINUTE);
      assert.deepEqual(await store.inventory.activity('s1'), {
        clientId: 's1',
        firstSeenAt: T + MINUTE,
        lastSeenAt: T + 2 * MINUTE,
        lastTokenAt: T + MINUTE,
        lastRefreshAt: T + 2 * MINUTE,
      });
      assert.equal((await store.inventory.activity('i1'))?.lastSeenAt, T + MINUTE);
      assert.equal(await store.inventory.activity('i2').then((seen) => seen?.lastTokenAt), undefined);
    });

    const race = async (first: Store, second: Store) => {
      await first.clients.put(shared('s1'));
      const outcomes = await Promise.all(
        range(CONCURRENCY).map((index) =>
          index % 2 === 0
            ? first.clients.putInstallation(installation(`i${index}`, 's1'))
            : second.clients.deleteUnlessInstallations('s1'),
        ),
      );
      const written = await first.clients.listInstallations('s1');
      const deleted = outcomes.filter((outcome, index) => index % 2 === 1 && outcome).length;
      const sharedLeft = await first.clients.get('s1');
      // Never an installation of a deleted record: either the record stayed, or nothing names it.
      if (sharedLeft === undefined) {
        assert.equal(deleted, 1);
        assert.deepEqual(written, []);
      } else {
        assert.equal(deleted, 0);
      }
      const writtenIds = outcomes
        .map((outcome, index) => (index % 2 === 0 && outcome ? `i${index}` : undefined))
        .filter((id) => id !== undefined)
        .sort();
      for (const id of writtenIds) assert.equal((await first.clients.get(id))?.clientId, id);
      assert.deepEqual(written, writtenIds);
    };

    /** `run` with this store on both sides, then (where the store has them) with two handles of one database. */
    const onOneAndTwoHandles = (name: string, run: (first: Store, second: Store) => Promise<void>) => {
      it(name, () => run(store, store));
      if (openTwoHandles !== undefined) {
        it(`${name}, over two handles`, async () => {
          const [first, second] = await openTwoHandles();
          try {
            await run(first, second);
          } finally {
            await first.close();
            await second.close();
          }
        });
      }
    };

    onOneAndTwoHandles(
      `of ${CONCURRENCY} racing installation writes and deletions, never an installation of a deleted record`,
      race,
    );

    it('putShared writes a shared record only while no registration holds its fingerprint', async () => {
      assert.deepEqual(await store.clients.putShared(shared('s1')), shared('s1'));
      assert.deepEqual(await store.clients.get('s1'), shared('s1'));
      const second = await store.clients.putShared(shared('s2', T + MINUTE));
      assert.equal(second.clientId, 's1', 'the record found');
      assert.equal(await store.clients.get('s2'), undefined, 'nothing written');
    });

    /** First registrations of one software racing, half on each handle: one shared record. */
    const firstRegistrations = async (first: Store, second: Store) => {
      const winners = await Promise.all(
        range(CONCURRENCY).map((index) =>
          (index % 2 === 0 ? first : second).clients.putShared(shared(`s${index}`)),
        ),
      );
      const ids = new Set(winners.map((winner) => winner.clientId));
      assert.equal(ids.size, 1, 'every caller got the same record');
      const [winner] = ids;
      for (const index of range(CONCURRENCY)) {
        const written = await first.clients.get(`s${index}`);
        assert.equal(written === undefined, `s${index}` !== winner, 'only the winner was written');
      }
    };

    onOneAndTwoHandles(
      `of ${CONCURRENCY} racing first registrations of one software, one shared record`,
      firstRegistrations,
    );
  });
}
