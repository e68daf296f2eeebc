/**
 * The store contract suite, continued: the client inventory aggregate (issue #14,
 * src/store/client-inventory-store.ts). Every Store implementation runs it (memory-store.test.ts,
 * sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with the conventions of
 * ./store-contract.ts: a fresh, empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type {
  ClientKind,
  ClientRecord,
  InventoryCandidates,
  InventoryQuery,
  OperatorFields,
  Store,
  TokenFamilyRecord,
} from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';
import { describeInstallationCountContract } from './store-contract-installation-count.ts';

const T = 1_750_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CONCURRENCY = 20;

export function describeInventoryStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (inventory): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const ids = async (query: Partial<InventoryQuery> = {}) =>
      (await store.inventory.list({ sort: 'client_id', limit: 100, ...query })).map(
        (row) => row.record.clientId,
      );

    /** A CIMD client, a DCR client redirecting to a host, a static client with loopback redirects. */
    async function fleet(): Promise<void> {
      await store.clients.put(cimd('https://app.example.com/client.json', { software_id: 'sw-a' }));
      await store.clients.put(cimd('https://other.example.org/c.json'));
      await store.clients.put(
        registered('dcr-1', 'dcr', ['https://cb.tenant.example.com/back', 'https://192.0.2.7/cb'], 'sw-a'),
      );
      await store.clients.put(
        registered('static-1', 'static', ['http://127.0.0.1/cb', 'com.example.app:/cb']),
      );
    }

    describe('list and its filters', () => {
      it('lists stored clients by client_id, paged by a cursor and a limit', async () => {
        await fleet();
        const all = await ids();
        assert.deepEqual(all, [
          'dcr-1',
          'https://app.example.com/client.json',
          'https://other.example.org/c.json',
          'static-1',
        ]);
        assert.deepEqual(await ids({ limit: 2 }), all.slice(0, 2));
        assert.deepEqual(await ids({ after: { key: all[1]!, clientId: all[1]! } }), all.slice(2));
        assert.deepEqual(await ids({ after: { key: 'static-1', clientId: 'static-1' } }), []);
      });

      it('a row carries the record as stored, and no operator fields or activity when there are none', async () => {
        const record = cimd('https://app.example.com/client.json');
        await store.clients.put(record);
        const [row] = await store.inventory.list({ sort: 'client_id', limit: 10 });
        assert.deepEqual(row, { record });
      });

      it('filters by kind', async () => {
        await fleet();
        assert.deepEqual(await ids({ kinds: ['dcr', 'static'] }), ['dcr-1', 'static-1']);
        assert.deepEqual(await ids({ kinds: ['cimd'] }), [
          'https://app.example.com/client.json',
          'https://other.example.org/c.json',
        ]);
        assert.deepEqual(await ids({ kinds: [] }), []);
      });

      it('filters by domain: a CIMD client by its client_id host, a registered client by its redirect hosts, parents included', async () => {
        await fleet();
        assert.deepEqual(await ids({ domain: 'example.com' }), [
          'dcr-1',
          'https://app.example.com/client.json',
        ]);
        assert.deepEqual(await ids({ domain: 'app.example.com' }), ['https://app.example.com/client.json']);
        assert.deepEqual(await ids({ domain: 'tenant.example.com' }), ['dcr-1']);
        assert.deepEqual(await ids({ domain: 'com' }), ['dcr-1', 'https://app.example.com/client.json']);
        assert.deepEqual(await ids({ domain: 'xample.com' }), [], 'a label, not a suffix of characters');
        // An IP address is only itself.
        assert.deepEqual(await ids({ domain: '192.0.2.7' }), ['dcr-1']);
        assert.deepEqual(await ids({ domain: '2.7' }), []);
        // A CIMD client's redirect hosts do not make it the host's.
        await store.clients.put(
          cimd('https://third.example.net/c.json', {}, ['https://elsewhere.example.com/cb']),
        );
        assert.deepEqual(await ids({ domain: 'elsewhere.example.com' }), []);
      });

      it('filters by software_id, owner, label', async () => {
        await fleet();
        assert.deepEqual(await ids({ softwareId: 'sw-a' }), ['dcr-1', 'https://app.example.com/client.json']);
        await store.inventory.putOperatorFields(fields('dcr-1', { owner: 'ops', labels: ['pci', 'beta'] }));
        await store.inventory.putOperatorFields(fields('static-1', { owner: 'Ops', labels: ['beta'] }));
        assert.deepEqual(await ids({ owner: 'ops' }), ['dcr-1']);
        assert.deepEqual(await ids({ label: 'beta' }), ['dcr-1', 'static-1']);
        assert.deepEqual(await ids({ label: 'pci', owner: 'Ops' }), []);
      });

      it('filters by last seen: the activity, else the record lastUsedAt; idle counts from creation when never seen', async () => {
        await store.clients.put(registered('seen-old', 'dcr', [], undefined, { createdAt: T - 100 * DAY }));
        await store.clients.put(registered('seen-new', 'dcr', [], undefined, { createdAt: T - 100 * DAY }));
        await store.clients.put(
          registered('touched', 'dcr', [], undefined, { createdAt: T - 100 * DAY, lastUsedAt: T - 2 * DAY }),
        );
        await store.clients.put(
          registered('never-old', 'static', [], undefined, { createdAt: T - 40 * DAY }),
        );
        await store.clients.put(registered('never-new', 'static', [], undefined, { createdAt: T - DAY }));
        await store.inventory.recordActivity('seen-old', 'token', T - 50 * DAY);
        await store.inventory.recordActivity('seen-new', 'authorization', T - HOUR);
        assert.deepEqual(await ids({ idleBefore: T - 30 * DAY }), ['never-old', 'seen-old']);
        assert.deepEqual(await ids({ idleBefore: T - 30 * DAY, kinds: ['dcr'] }), ['seen-old']);
        assert.deepEqual(await ids({ seenSince: T - 3 * DAY }), ['seen-new', 'touched']);
        assert.deepEqual(await ids({ seenSince: T }), []);
      });

      it('sorts by creation (oldest first) and by last seen (newest first, never seen last), client_id breaking ties', async () => {
        await store.clients.put(registered('b', 'static', [], undefined, { createdAt: T + 2 }));
        await store.clients.put(registered('a', 'static', [], undefined, { createdAt: T + 2 }));
        await store.clients.put(registered('c', 'static', [], undefined, { createdAt: T + 1 }));
        await store.clients.put(registered('d', 'dcr', [], undefined, { createdAt: T, lastUsedAt: T + 5 }));
        await store.inventory.recordActivity('a', 'token', T + 9);
        await store.inventory.recordActivity('c', 'token', T + 9);
        assert.deepEqual(await ids({ sort: 'created' }), ['d', 'c', 'a', 'b']);
        assert.deepEqual(await ids({ sort: 'created', after: { key: T + 2, clientId: 'a' } }), ['b']);
        assert.deepEqual(await ids({ sort: 'last_seen' }), ['a', 'c', 'd', 'b']);
        assert.deepEqual(await ids({ sort: 'last_seen', limit: 2 }), ['a', 'c']);
        assert.deepEqual(await ids({ sort: 'last_seen', after: { key: T + 9, clientId: 'c' } }), ['d', 'b']);
        assert.deepEqual(await ids({ sort: 'last_seen', after: { key: T + 5, clientId: 'd' } }), ['b']);
      });

      it('candidate groups: any criterion of a group selects, and every group must', async () => {
        await fleet();
        const group = (given: Partial<InventoryCandidates>): InventoryCandidates => ({
          all: false,
          clientIds: [],
          kinds: [],
          terms: [],
          ...given,
        });
        assert.deepEqual(await ids({ candidates: [group({ all: true })] }), await ids());
        assert.deepEqual(await ids({ candidates: [group({})] }), []);
        assert.deepEqual(
          await ids({ candidates: [group({ clientIds: ['static-1', 'nobody'], kinds: ['dcr'] })] }),
          ['dcr-1', 'static-1'],
        );
        assert.deepEqual(await ids({ candidates: [group({ terms: [['local_only', '1']] })] }), ['static-1']);
        assert.deepEqual(
          await ids({ candidates: [group({ terms: [['redirect_host', 'cb.tenant.example.com']] })] }),
          ['dcr-1'],
        );
        assert.deepEqual(
          await ids({
            candidates: [
              group({ terms: [['domain', 'example.com']] }),
              group({ kinds: ['cimd'], terms: [['software_id', 'nothing']] }),
            ],
          }),
          ['https://app.example.com/client.json'],
        );
      });

      it('the index follows the record: a changed redirect, a removal, a reaped registration', async () => {
        await store.clients.put(
          registered('dcr-1', 'dcr', ['https://one.example/cb'], undefined, { createdAt: T }),
        );
        assert.deepEqual(await ids({ domain: 'one.example' }), ['dcr-1']);
        await store.clients.put(
          registered('dcr-1', 'dcr', ['https://two.example/cb'], undefined, { createdAt: T }),
        );
        assert.deepEqual(await ids({ domain: 'one.example' }), []);
        assert.deepEqual(await ids({ domain: 'two.example' }), ['dcr-1']);
        await store.clients.delete('dcr-1');
        assert.deepEqual(await ids({ domain: 'two.example' }), []);
        await store.clients.put(
          registered('dcr-2', 'dcr', ['https://two.example/cb'], undefined, { createdAt: T }),
        );
        const reaped = await store.clients.reapRegistrations({
          neverUsedCreatedBefore: T + 1,
          idleSince: T,
          limit: 10,
        });
        assert.deepEqual(reaped, ['dcr-2']);
        assert.deepEqual(await ids({ domain: 'two.example' }), []);
        await store.clients.put(registered('dcr-2', 'static', ['https://two.example/cb']));
        assert.deepEqual(await ids({ domain: 'two.example', kinds: ['static'] }), ['dcr-2']);
      });
    });

    describe('operator fields', () => {
      it('put inserts, then wholly replaces (an absent field is gone) and returns what it replaced', async () => {
        const first = fields('c1', {
          owner: 'ops',
          team: 'payments',
          contact: 'ops@example.com',
          labels: ['a', 'b'],
          note: 'n',
        });
        assert.equal(await store.inventory.putOperatorFields(first), undefined);
        assert.deepEqual(await store.inventory.operatorFields('c1'), first);
        const second = fields('c1', { team: 'platform', updatedBy: 'admin-token:t1', updatedAt: T + 1 });
        assert.deepEqual(await store.inventory.putOperatorFields(second), first);
        const stored = await store.inventory.operatorFields('c1');
        assert.deepEqual(stored, second);
        for (const field of ['owner', 'contact', 'note'])
          assert.equal(field in stored!, false, `${field}: absent, not undefined`);
        assert.equal(await store.inventory.operatorFields('c2'), undefined);
      });

      it('delete returns the fields it deleted, then undefined', async () => {
        const put = fields('c1', { owner: 'ops' });
        await store.inventory.putOperatorFields(put);
        assert.deepEqual(await store.inventory.deleteOperatorFields('c1'), put);
        assert.equal(await store.inventory.deleteOperatorFields('c1'), undefined);
        assert.equal(await store.inventory.operatorFields('c1'), undefined);
      });

      it('a list row carries the fields of its client', async () => {
        await store.clients.put(registered('c1', 'static', []));
        const put = fields('c1', { owner: 'ops', labels: ['x'] });
        await store.inventory.putOperatorFields(put);
        const [row] = await store.inventory.list({ sort: 'client_id', limit: 1 });
        assert.deepEqual(row?.operator, put);
      });

      const racePuts = async (handles: readonly Store[]) => {
        const written = Array.from({ length: CONCURRENCY }, (_, index) =>
          fields('raced', {
            note: `writer ${index}`,
            ...(index % 2 === 0
              ? { owner: `owner ${index}`, labels: [`l${index}`] }
              : { team: `team ${index}` }),
            updatedAt: T + index,
          }),
        );
        const replaced = await Promise.all(
          written.map((put, index) => handles[index % handles.length]!.inventory.putOperatorFields(put)),
        );
        const final = await handles[0]!.inventory.operatorFields('raced');
        assert.equal(replaced.filter((previous) => previous === undefined).length, 1, 'one put was first');
        const seen = [...replaced.filter((previous) => previous !== undefined), final!];
        assert.deepEqual(seen.map((found) => found.note).sort(), written.map((put) => put.note).sort());
        for (const found of seen)
          assert.deepEqual(
            found,
            written.find((put) => put.note === found.note),
            'whole, never a mix',
          );
      };

      it(`of ${CONCURRENCY} concurrent puts for one client, each replaces exactly the one before`, () =>
        racePuts([store]));

      if (openTwoHandles !== undefined)
        it(`of ${CONCURRENCY} concurrent puts on two handles, each replaces exactly the one before`, async () => {
          const [first, second] = await openTwoHandles();
          try {
            await racePuts([first, second]);
          } finally {
            await first.close();
            await second.close();
          }
        });
    });

    describe('activity', () => {
      it('keeps the earliest as first seen and the latest per kind, whatever the order', async () => {
        await store.inventory.recordActivity('c1', 'token', T + 10);
        await store.inventory.recordActivity('c1', 'authorization', T + 5);
        await store.inventory.recordActivity('c1', 'token', T + 7);
        await store.inventory.recordActivity('c1', 'refresh', T + 20);
        assert.deepEqual(await store.inventory.activity('c1'), {
          clientId: 'c1',
          firstSeenAt: T + 5,
          lastSeenAt: T + 20,
          lastAuthorizationAt: T + 5,
          lastTokenAt: T + 10,
          lastRefreshAt: T + 20,
        });
        await store.inventory.recordActivity('c2', 'authorization', T);
        const only = await store.inventory.activity('c2');
        assert.deepEqual(only, { clientId: 'c2', firstSeenAt: T, lastSeenAt: T, lastAuthorizationAt: T });
        assert.equal(await store.inventory.activity('c3'), undefined);
      });

      it(`applies ${CONCURRENCY} concurrent records`, async () => {
        const kinds = ['authorization', 'token', 'refresh'] as const;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, index) =>
            store.inventory.recordActivity('c1', kinds[index % 3]!, T + index),
          ),
        );
        const seen = await store.inventory.activity('c1');
        assert.equal(seen?.firstSeenAt, T);
        assert.equal(seen?.lastSeenAt, T + CONCURRENCY - 1);
        assert.equal(seen?.lastAuthorizationAt, T + 18);
        assert.equal(seen?.lastTokenAt, T + 19);
        assert.equal(seen?.lastRefreshAt, T + 17);
      });
    });

    describe('reach and connections', () => {
      const NOW = T + DAY;
      /**
       * c1 used by u1 from two installations and by u2 from one; u1 also uses c2; a revoked grant,
       * a revoked, an expired family and a tombstone that count for nothing; two loopback clients.
       */
      async function used(): Promise<void> {
        const grant = async (
          id: string,
          userId: string,
          clientId: string,
          redirectUri: string,
          scope: string[],
        ) =>
          store.grants.upsert({
            id,
            userId,
            clientId,
            redirectUri,
            scope,
            resources: ['https://api.example/'],
            now: T,
          });
        await grant('g1', 'u1', 'c1', 'https://c1.example/a', ['read', 'write']);
        await grant('g2', 'u1', 'c1', 'https://c1.example/b', ['read']);
        await grant('g3', 'u2', 'c1', 'https://c1.example/a', ['read']);
        await grant('g4', 'u1', 'c2', 'https://c2.example/cb', ['admin']);
        await grant('g5', 'u3', 'c1', 'https://c1.example/a', ['read']);
        await store.grants.revoke('g5', 'test', T);
        await grant('g6', 'u4', 'http://localhost?scope=atproto', 'http://127.0.0.1/', ['atproto']);
        await grant('g7', 'u5', 'http://localhost', 'http://127.0.0.1/', ['atproto']);
        const live = (id: string, grantId: string, overrides: Partial<TokenFamilyRecord> = {}) =>
          store.tokenFamilies.create(familyOf(id, grantId, overrides));
        await live('f1', 'g1', { createdAt: T + 1 });
        await live('f2', 'g1', { createdAt: T + 2 });
        await live('f3', 'g3');
        await live('f4', 'g4', { clientId: 'c2' });
        await live('f5', 'g2', { expiresAt: NOW });
        await live('f6', 'g2');
        await store.tokenFamilies.revoke('f6', 'test', T);
        await store.tokenFamilies.revoke('f7-tombstone', 'test', T);
        await live('f8', 'g6', { clientId: 'http://localhost?scope=atproto', userId: 'u4' });
        const issued = (clientId: string, userId: string, at: number) =>
          store.audit.append({ at, type: 'token.issued', clientId, userId });
        await issued('c1', 'u1', NOW - 2 * DAY);
        await issued('c1', 'u1', NOW - 2 * HOUR);
        await issued('c1', 'u2', NOW - 10 * 60_000);
        await issued('c2', 'u1', NOW - 5 * 60_000);
        await issued('http://localhost?scope=atproto', 'u4', NOW - 60_000);
        await store.audit.append({ at: NOW - 60_000, type: 'token.refused', clientId: 'c1', userId: 'u1' });
      }

      it('counts exactly for clients: users, installations, grants, scopes, resources, live families, tokens', async () => {
        await used();
        const figures = await store.inventory.reach(
          { clientIds: ['c1'], loopback: false },
          { now: NOW, issuedSince: [NOW - HOUR, NOW - DAY, NOW - 7 * DAY] },
        );
        assert.deepEqual(figures, {
          users: 2,
          clients: 1,
          grants: 3,
          installations: 2,
          scopes: [
            { value: 'read', grants: 3 },
            { value: 'write', grants: 1 },
          ],
          resources: [{ value: 'https://api.example/', grants: 3 }],
          liveFamilies: 3,
          tokensIssued: [1, 2, 3],
          lastTokenAt: NOW - 10 * 60_000,
        });
        const both = await store.inventory.reach(
          { clientIds: ['c1', 'c2'], loopback: false },
          { now: NOW, issuedSince: [NOW - HOUR] },
        );
        assert.equal(both.clients, 2);
        assert.equal(both.grants, 4);
        assert.equal(both.liveFamilies, 4);
        assert.deepEqual(both.tokensIssued, [2]);
      });

      it('counts the AT Protocol loopback client_ids as one selection, and a user across clients', async () => {
        await used();
        const loopback = await store.inventory.reach(
          { clientIds: [], loopback: true },
          { now: NOW, issuedSince: [NOW - HOUR] },
        );
        assert.equal(loopback.users, 2);
        assert.equal(loopback.clients, 2);
        assert.equal(loopback.liveFamilies, 1);
        assert.deepEqual(loopback.tokensIssued, [1]);
        const user = await store.inventory.reach({ userId: 'u1' }, { now: NOW, issuedSince: [NOW - DAY] });
        assert.deepEqual(
          { ...user, scopes: user.scopes.map((held) => held.value) },
          {
            users: 1,
            clients: 2,
            grants: 3,
            installations: 3,
            scopes: ['admin', 'read', 'write'],
            resources: [{ value: 'https://api.example/', grants: 3 }],
            liveFamilies: 3,
            tokensIssued: [2],
            lastTokenAt: NOW - 5 * 60_000,
          },
        );
        const nobody = await store.inventory.reach({ userId: 'nobody' }, { now: NOW, issuedSince: [0] });
        assert.deepEqual(nobody, {
          users: 0,
          clients: 0,
          grants: 0,
          installations: 0,
          scopes: [],
          resources: [],
          liveFamilies: 0,
          tokensIssued: [0],
        });
      });

      it("lists a user's and a client's live grants with their live sessions", async () => {
        await used();
        const ofUser = await store.inventory.connections({ userId: 'u1' }, NOW);
        assert.deepEqual(
          ofUser.map(({ grant, liveFamilies, lastFamilyAt }) => [
            grant.id,
            grant.clientId,
            liveFamilies,
            lastFamilyAt,
          ]),
          [
            ['g1', 'c1', 2, T + 2],
            ['g2', 'c1', 0, undefined],
            ['g4', 'c2', 1, T],
          ],
        );
        assert.equal('lastFamilyAt' in ofUser[1]!, false, 'absent, not undefined');
        assert.deepEqual(ofUser[0]!.grant, await store.grants.get('g1'));
        const ofClient = await store.inventory.connections({ clientIds: ['c1'], loopback: false }, NOW);
        assert.deepEqual(
          ofClient.map(({ grant }) => [grant.userId, grant.redirectUri]),
          [
            ['u1', 'https://c1.example/a'],
            ['u1', 'https://c1.example/b'],
            ['u2', 'https://c1.example/a'],
          ],
        );
        const loopback = await store.inventory.connections({ clientIds: [], loopback: true }, NOW);
        assert.deepEqual(
          loopback.map(({ grant }) => grant.id),
          ['g6', 'g7'],
        );
      });
    });
  });
  // How installations are counted (decision 0044), in a file of its own.
  describeInstallationCountContract(name, open);
}

// Fixtures.

function cimd(clientId: string, extra: Record<string, unknown> = {}, redirectUris?: string[]): ClientRecord {
  return {
    clientId,
    kind: 'cimd',
    metadata: {
      client_id: clientId,
      redirect_uris: redirectUris ?? [`${new URL(clientId).origin}/callback`],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...extra,
    },
    createdAt: T,
    updatedAt: T,
  };
}

function registered(
  clientId: string,
  kind: ClientKind,
  redirectUris: string[],
  softwareId?: string,
  overrides: Partial<ClientRecord> = {},
): ClientRecord {
  return {
    clientId,
    kind,
    metadata: {
      client_id: clientId,
      redirect_uris: redirectUris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...(softwareId === undefined ? {} : { software_id: softwareId }),
    },
    createdAt: T,
    updatedAt: T,
    ...overrides,
  };
}

function fields(clientId: string, overrides: Partial<OperatorFields> = {}): OperatorFields {
  return { clientId, labels: [], updatedBy: 'cli:alice', updatedAt: T, ...overrides };
}

function familyOf(
  id: string,
  grantId: string,
  overrides: Partial<TokenFamilyRecord> = {},
): TokenFamilyRecord {
  return {
    id,
    grantId,
    clientId: 'c1',
    userId: 'u1',
    scope: ['read'],
    resources: ['https://api.example/'],
    authTime: T,
    createdAt: T,
    expiresAt: T + 30 * DAY,
    ...overrides,
  };
}
