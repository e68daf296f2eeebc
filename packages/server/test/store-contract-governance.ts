/**
 * The store contract suite, continued: the governance and admin-token aggregates (issue #13). Kept
 * apart from ./store-contract.ts only for its length; every Store implementation runs both (see
 * memory-store.test.ts, sqlite-store.test.ts, store-postgres/test/postgres-store.test.ts), with
 * the same conventions: a fresh, empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AdminTokenRecord, ClientHold, Store, StoredRule } from '../src/store/store.ts';
import type { StoreContractOptions } from './store-contract.ts';

const T = 1_750_000_000_000;
const MINUTE = 60_000;
const CONCURRENCY = 20;

export function describeGovernanceStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (governance): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('stored rules', () => {
      it('putRule inserts and returns undefined; listRules returns it as put', async () => {
        assert.deepEqual(await store.governance.listRules(), []);
        const put = rule('host:app.example', { state: 'approved', tier: 'trusted', owner: 'team-a' });
        assert.equal(await store.governance.putRule(put), undefined);
        assert.deepEqual(await store.governance.listRules(), [put]);
      });

      it('putRule wholly replaces the rule (a field absent in the new one is gone) and returns the old', async () => {
        const first = rule('host:app.example', {
          state: 'blocked',
          tier: 'self-asserted',
          owner: 'team-a',
          note: 'phishing report',
        });
        const second = rule('host:app.example', {
          state: 'approved',
          updatedBy: 'admin-token:t1',
          createdAt: T + 1,
          updatedAt: T + 2,
        });
        await store.governance.putRule(first);
        assert.deepEqual(await store.governance.putRule(second), first);
        const [listed] = await store.governance.listRules();
        assert.deepEqual(listed, second);
        for (const field of ['tier', 'owner', 'note'])
          assert.equal(field in listed!, false, `${field}: absent, not undefined`);
        assert.deepEqual(await store.governance.putRule(first), second);
      });

      it('a rule with only a selector and its bookkeeping round-trips without the optional fields', async () => {
        const bare = rule('kind:dcr');
        await store.governance.putRule(bare);
        assert.deepEqual(await store.governance.listRules(), [bare]);
      });

      it('deleteRule returns the rule it deleted, then undefined', async () => {
        const put = rule('domain:example.com', { tier: 'verified-domain', note: 'ours' });
        await store.governance.putRule(put);
        await store.governance.putRule(rule('domain:other.example'));
        assert.deepEqual(await store.governance.deleteRule('domain:example.com'), put);
        assert.equal(await store.governance.deleteRule('domain:example.com'), undefined);
        assert.equal(await store.governance.deleteRule('domain:never.example'), undefined);
        assert.deepEqual(
          (await store.governance.listRules()).map((listed) => listed.selector),
          ['domain:other.example'],
        );
      });

      it('listRules is ordered by selector', async () => {
        const selectors = [
          'software:b',
          'https://c.example/client.json',
          'host:a.example',
          'redirect-host:z.example',
          'domain:example.com',
          'kind:dcr',
          'host:A.example',
          'host:a-b.example',
          'host:ab.example',
        ];
        for (const selector of selectors) await store.governance.putRule(rule(selector));
        assert.deepEqual(
          (await store.governance.listRules()).map((listed) => listed.selector),
          [...selectors].sort(),
        );
      });

      it('keeps its own copy: mutating what was put or listed changes nothing stored', async () => {
        const put = rule('host:app.example', { state: 'approved' });
        await store.governance.putRule(put);
        put.state = 'blocked';
        (await store.governance.listRules())[0]!.note = 'changed';
        assert.deepEqual(await store.governance.listRules(), [
          rule('host:app.example', { state: 'approved' }),
        ]);
      });

      // Writers alternate between the handles given, so with two the race is between instances.
      const racePuts = async (handles: readonly Store[]) => {
        // Rules of different shapes: a mix of two would show as a field of one on the other.
        const written = Array.from({ length: CONCURRENCY }, (_, index) =>
          rule('software:raced', {
            note: `writer ${index}`,
            ...(index % 2 === 0 ? { state: 'blocked' as const, owner: `owner ${index}` } : {}),
            ...(index % 2 === 1 ? { tier: 'self-asserted' as const } : {}),
            updatedAt: T + index,
          }),
        );
        const replaced = await Promise.all(
          written.map((put, index) => handles[index % handles.length]!.governance.putRule(put)),
        );
        const [final] = await handles[0]!.governance.listRules();
        // Atomic puts form one chain: each rule is replaced by exactly one later put (the last one
        // stays), and exactly one put found none.
        assert.equal(replaced.filter((previous) => previous === undefined).length, 1, 'one put was first');
        const seen = [...replaced.filter((previous) => previous !== undefined), final!];
        assert.deepEqual(
          seen.map((found) => found.note).sort(),
          written.map((put) => put.note).sort(),
          'every rule replaced once or kept',
        );
        for (const found of seen)
          assert.deepEqual(
            found,
            written.find((put) => put.note === found.note),
            'whole, never a mix',
          );
      };

      it(`of ${CONCURRENCY} concurrent puts of one selector, each replaces exactly the one before`, () =>
        racePuts([store]));

      if (openTwoHandles !== undefined)
        it(`of ${CONCURRENCY} concurrent puts of one selector on two handles, each replaces the one before`, async () => {
          const [first, second] = await openTwoHandles();
          try {
            await racePuts([first, second]);
          } finally {
            await first.close();
            await second.close();
          }
        });
    });

    describe('client holds', () => {
      const byClient = (holds: ClientHold[]) => [...holds].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));

      it('hold inserts, then replaces the hold of a client; listHolds lists them', async () => {
        assert.deepEqual(await store.governance.listHolds(), []);
        const first: ClientHold = {
          clientId: 'https://a.example/cimd',
          reason: 'redirect host changed',
          at: T,
        };
        const other: ClientHold = { clientId: 'https://b.example/cimd', reason: 'jwks changed', at: T + 1 };
        await store.governance.hold(first);
        await store.governance.hold(other);
        assert.deepEqual(byClient(await store.governance.listHolds()), [first, other]);
        const again: ClientHold = { ...first, reason: 'name changed', at: T + 2 };
        await store.governance.hold(again);
        assert.deepEqual(byClient(await store.governance.listHolds()), [again, other]);
      });

      it('release returns whether a hold existed', async () => {
        await store.governance.hold({ clientId: 'c1', reason: 'changed', at: T });
        assert.equal(await store.governance.release('c1'), true);
        assert.equal(await store.governance.release('c1'), false);
        assert.equal(await store.governance.release('never-held'), false);
        assert.deepEqual(await store.governance.listHolds(), []);
      });
    });

    describe('access requests', () => {
      const attempt = (clientId: string, userId: string, at: number, clientName?: string) =>
        store.governance.recordAccessRequest({
          clientId,
          userId,
          at,
          ...(clientName === undefined ? {} : { clientName }),
        });

      it('the first attempt creates the request: attempts 1, firstAt = lastAt = at', async () => {
        await attempt('c1', 'u1', T, 'App One');
        await attempt('c2', 'u1', T + 1);
        assert.deepEqual(await store.governance.listAccessRequests(), [
          { clientId: 'c2', userId: 'u1', firstAt: T + 1, lastAt: T + 1, attempts: 1 },
          { clientId: 'c1', userId: 'u1', clientName: 'App One', firstAt: T, lastAt: T, attempts: 1 },
        ]);
        const [withoutName] = await store.governance.listAccessRequests({ clientId: 'c2' });
        assert.equal('clientName' in withoutName!, false, 'absent, not undefined');
      });

      it('later attempts add one and move lastAt; clientName moves when given, stays when not', async () => {
        await attempt('c1', 'u1', T, 'Old Name');
        await attempt('c1', 'u1', T + MINUTE, 'New Name');
        assert.deepEqual(await store.governance.listAccessRequests(), [
          {
            clientId: 'c1',
            userId: 'u1',
            clientName: 'New Name',
            firstAt: T,
            lastAt: T + MINUTE,
            attempts: 2,
          },
        ]);
        await attempt('c1', 'u1', T + 2 * MINUTE);
        assert.deepEqual(await store.governance.listAccessRequests(), [
          {
            clientId: 'c1',
            userId: 'u1',
            clientName: 'New Name',
            firstAt: T,
            lastAt: T + 2 * MINUTE,
            attempts: 3,
          },
        ]);
      });

      it(`counts ${CONCURRENCY} concurrent attempts of one user at one client`, async () => {
        await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => attempt('c1', 'u1', T + index)));
        const [request] = await store.governance.listAccessRequests();
        assert.equal(request?.attempts, CONCURRENCY);
        assert.equal(request?.firstAt !== undefined && request.firstAt >= T, true);
        assert.equal(request?.lastAt, T + CONCURRENCY - 1);
      });

      if (openTwoHandles !== undefined)
        it(`counts ${CONCURRENCY} concurrent attempts made through two handles`, async () => {
          const [first, second] = await openTwoHandles();
          try {
            await Promise.all(
              Array.from({ length: CONCURRENCY }, (_, index) =>
                (index % 2 === 0 ? first : second).governance.recordAccessRequest({
                  clientId: 'c1',
                  userId: 'u1',
                  at: T + index,
                }),
              ),
            );
            assert.equal((await second.governance.listAccessRequests())[0]?.attempts, CONCURRENCY);
          } finally {
            await first.close();
            await second.close();
          }
        });

      it('lists newest first (by lastAt), filtered by clientId, limited', async () => {
        await attempt('c1', 'u1', T);
        await attempt('c2', 'u1', T + 3);
        await attempt('c1', 'u2', T + 1);
        await attempt('c3', 'u3', T + 2);
        const listed = async (options?: { clientId?: string; limit?: number }) =>
          (await store.governance.listAccessRequests(options)).map(
            (found) => `${found.clientId}/${found.userId}`,
          );
        assert.deepEqual(await listed(), ['c2/u1', 'c3/u3', 'c1/u2', 'c1/u1']);
        assert.deepEqual(await listed({ clientId: 'c1' }), ['c1/u2', 'c1/u1']);
        assert.deepEqual(await listed({ limit: 2 }), ['c2/u1', 'c3/u3']);
        assert.deepEqual(await listed({ clientId: 'c1', limit: 1 }), ['c1/u2']);
        assert.deepEqual(await listed({ clientId: 'nobody' }), []);
        // A new attempt moves its request to the front.
        await attempt('c1', 'u1', T + 4);
        assert.deepEqual(await listed({ limit: 1 }), ['c1/u1']);
      });

      it("clearAccessRequests deletes a client's requests and returns how many", async () => {
        await attempt('c1', 'u1', T);
        await attempt('c1', 'u2', T + 1);
        await attempt('c1', 'u2', T + 2);
        await attempt('c2', 'u1', T + 3);
        assert.equal(await store.governance.clearAccessRequests('c1'), 2);
        assert.equal(await store.governance.clearAccessRequests('c1'), 0);
        assert.deepEqual(
          (await store.governance.listAccessRequests()).map((found) => found.clientId),
          ['c2'],
        );
        // Cleared means forgotten: the next attempt starts a new request.
        await attempt('c1', 'u1', T + 4);
        assert.deepEqual(await store.governance.listAccessRequests({ clientId: 'c1' }), [
          { clientId: 'c1', userId: 'u1', firstAt: T + 4, lastAt: T + 4, attempts: 1 },
        ]);
      });
    });

    describe('admin tokens', () => {
      it('insert, then findByDigest returns the record; an unknown digest nothing', async () => {
        const full = adminToken('a1', { label: 'deploy bot', expiresAt: T + MINUTE });
        const bare = adminToken('a2', { scope: 'read' });
        await store.adminTokens.insert(full);
        await store.adminTokens.insert(bare);
        assert.deepEqual(await store.adminTokens.findByDigest('digest-a1'), full);
        const found = await store.adminTokens.findByDigest('digest-a2');
        assert.deepEqual(found, bare);
        for (const field of ['label', 'expiresAt', 'revokedAt'])
          assert.equal(field in found!, false, `${field}: absent, not undefined`);
        assert.equal(await store.adminTokens.findByDigest('digest-unknown'), undefined);
      });

      it('findByDigest returns expired and revoked tokens as they are (the caller says which)', async () => {
        await store.adminTokens.insert(adminToken('a1', { expiresAt: T - 1 }));
        await store.adminTokens.insert(adminToken('a2'));
        await store.adminTokens.revoke('a2', T + 1);
        assert.deepEqual(
          await store.adminTokens.findByDigest('digest-a1'),
          adminToken('a1', { expiresAt: T - 1 }),
        );
        assert.deepEqual(
          await store.adminTokens.findByDigest('digest-a2'),
          adminToken('a2', { revokedAt: T + 1 }),
        );
      });

      it('list is ordered by createdAt, oldest first', async () => {
        await store.adminTokens.insert(adminToken('a1', { createdAt: T + 2 }));
        await store.adminTokens.insert(adminToken('a2', { createdAt: T }));
        await store.adminTokens.insert(adminToken('a3', { createdAt: T + 1 }));
        assert.deepEqual(
          (await store.adminTokens.list()).map((token) => token.id),
          ['a2', 'a3', 'a1'],
        );
      });

      it('revoke sets revokedAt once: true the first time, false after, false for an unknown id', async () => {
        await store.adminTokens.insert(adminToken('a1'));
        assert.equal(await store.adminTokens.revoke('a1', T + 1), true);
        assert.equal(await store.adminTokens.revoke('a1', T + 2), false);
        assert.equal(await store.adminTokens.revoke('unknown', T + 3), false);
        assert.deepEqual(await store.adminTokens.list(), [adminToken('a1', { revokedAt: T + 1 })]);
      });

      it(`of ${CONCURRENCY} concurrent revokes of one token, exactly one reports it revoked`, async () => {
        await store.adminTokens.insert(adminToken('a1'));
        const results = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, index) => store.adminTokens.revoke('a1', T + index)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });

      it('insert rejects a taken digest or a taken id (both are random: a clash is a bug)', async () => {
        await store.adminTokens.insert(adminToken('a1'));
        await assert.rejects(store.adminTokens.insert({ ...adminToken('a2'), digest: 'digest-a1' }));
        await assert.rejects(store.adminTokens.insert({ ...adminToken('a1'), digest: 'digest-other' }));
        assert.deepEqual(await store.adminTokens.list(), [adminToken('a1')]);
      });
    });

    describe('purgeExpired', () => {
      it('keeps expired admin tokens (listed as expired), rules, holds and old access requests', async () => {
        const expired = adminToken('a1', { expiresAt: T - MINUTE });
        await store.adminTokens.insert(expired);
        await store.governance.putRule(rule('kind:dcr', { state: 'pending' }));
        await store.governance.hold({ clientId: 'c1', reason: 'changed', at: T - 2 * MINUTE });
        await store.governance.recordAccessRequest({ clientId: 'c1', userId: 'u1', at: T - 2 * MINUTE });

        await store.purgeExpired(T);

        assert.deepEqual(await store.adminTokens.list(), [expired]);
        assert.deepEqual(await store.adminTokens.findByDigest('digest-a1'), expired);
        assert.equal((await store.governance.listRules()).length, 1);
        assert.equal((await store.governance.listHolds()).length, 1);
        assert.equal((await store.governance.listAccessRequests()).length, 1);
      });
    });
  });
}

// Fixtures: complete, valid records; `overrides` replaces whole fields.

function rule(selector: string, overrides: Partial<StoredRule> = {}): StoredRule {
  return { selector, updatedBy: 'cli:alice', createdAt: T, updatedAt: T, ...overrides };
}

function adminToken(id: string, overrides: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return { id, digest: `digest-${id}`, scope: 'write', createdBy: 'cli:alice', createdAt: T, ...overrides };
}
