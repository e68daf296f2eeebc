/**
 * The store contract suite, continued: the exchanges that must happen exactly once (issue #18,
 * decision 0036): refresh token rotation with its replays, and the code exchange (the code marked,
 * its family and first refresh token stored in one transaction) with its retries. Every Store
 * implementation runs it (memory-store.test.ts, sqlite-store.test.ts,
 * store-postgres/test/postgres-store.test.ts) with the conventions of ./store-contract.ts: a fresh,
 * empty store per test, explicit times around T, no clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { digest } from '../src/crypto/digest.ts';
import type { ReplayWindow, Store } from '../src/store/store.ts';
import { timePrefix } from '../src/store/time-ordered-key.ts';
import type { StoreContractOptions } from './store-contract.ts';
import { authorizationCode, family, MINUTE, range, refreshToken, T } from './support/store-records.ts';

const GRACE = 30_000;
const CONCURRENCY = 20;
const WINDOW: ReplayWindow = { graceMs: GRACE, reuseCount: 1 };

export function describeExchangeStoreContract(
  name: string,
  open: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const { openTwoHandles } = options;

  describe(`store contract (exchanges): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('refresh token rotation', () => {
      /** Rotates `old`, unused, to `new` at `usedAt`. */
      const rotated = async (usedAt = T) => {
        await store.refreshTokens.create(refreshToken('old'));
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('new'), usedAt, WINDOW)).outcome,
          'rotated',
        );
      };

      it('an unused token rotates: marked used at now, its successor stored', async () => {
        await store.refreshTokens.create(refreshToken('old'));
        const next = refreshToken('new', { issuedAt: T });
        assert.deepEqual(await store.refreshTokens.rotate('old', next, T, WINDOW), {
          outcome: 'rotated',
          presented: refreshToken('old', { usedAt: T }),
        });
        assert.deepEqual(await store.refreshTokens.get('old'), refreshToken('old', { usedAt: T }));
        assert.deepEqual(await store.refreshTokens.get('new'), next);
      });

      it('presented again with its successor in the grace: replayed reuseCount times, then refused; nothing stored', async () => {
        await rotated();
        const window = { graceMs: GRACE, reuseCount: 2 };
        const outcomes = [];
        for (const now of [T, T + 1, T + 2]) {
          outcomes.push((await store.refreshTokens.rotate('old', refreshToken('new'), now, window)).outcome);
        }
        assert.deepEqual(outcomes, ['replayed', 'replayed', 'replay_refused']);
        assert.deepEqual(
          await store.refreshTokens.get('old'),
          refreshToken('old', { usedAt: T }),
          'the first usedAt is kept',
        );
        assert.deepEqual(
          await store.refreshTokens.get('new'),
          refreshToken('new'),
          'the successor as stored first',
        );
      });

      // [presented at, outcome]: the grace is inclusive at graceMs, and only a replay spends the count.
      const cases: [number, string][] = [
        [T + GRACE / 2, 'replayed'],
        [T + GRACE, 'replayed'],
        [T + GRACE + 1, 'reused'],
      ];
      for (const [now, outcome] of cases) {
        it(`a token rotated at T and presented again at T+${now - T} is ${outcome}`, async () => {
          await rotated();
          const result = await store.refreshTokens.rotate('old', refreshToken('new'), now, WINDOW);
          assert.deepEqual(result, {
            outcome,
            presented: refreshToken('old', { usedAt: T }),
            ...(outcome === 'replayed' ? { successorDigest: 'new' } : {}),
          });
        });
      }

      it('presented again in the grace with another successor: refused, and that successor not stored', async () => {
        await rotated();
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('other'), T + 1, WINDOW)).outcome,
          'replay_refused',
        );
        assert.equal(await store.refreshTokens.get('other'), undefined);
        // The count was not spent by it.
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('new'), T + 2, WINDOW)).outcome,
          'replayed',
        );
      });

      it('presented again with the successor derived anew (another time, the same secret): replayed, answered with the recorded one (decision 0051)', async () => {
        const secretDigest = digest('the-secret-part-of-the-successor');
        const first = `${timePrefix(T)}${secretDigest}`;
        const again = `${timePrefix(T + 5_000)}${secretDigest}`;
        await store.refreshTokens.create(refreshToken('old'));
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken(first), T, WINDOW)).outcome,
          'rotated',
        );
        const result = await store.refreshTokens.rotate('old', refreshToken(again), T + 5_000, WINDOW);
        assert.deepEqual(
          {
            outcome: result.outcome,
            successorDigest: result.outcome === 'replayed' ? result.successorDigest : '',
          },
          { outcome: 'replayed', successorDigest: first },
        );
        assert.equal(await store.refreshTokens.get(again), undefined, 'nothing stored under the new time');
        // Another secret behind the same time is another successor: refused.
        const other = `${timePrefix(T)}${digest('another-secret')}`;
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken(other), T + 6_000, WINDOW)).outcome,
          'replay_refused',
        );
      });

      it('a token used with no recorded successor is refused in the grace and reused after it', async () => {
        await store.refreshTokens.create(refreshToken('in-grace', { usedAt: T - GRACE }));
        await store.refreshTokens.create(refreshToken('after', { usedAt: T - GRACE - 1 }));
        assert.equal(
          (await store.refreshTokens.rotate('in-grace', refreshToken('n1'), T, WINDOW)).outcome,
          'replay_refused',
        );
        assert.equal(
          (await store.refreshTokens.rotate('after', refreshToken('n2'), T, WINDOW)).outcome,
          'reused',
        );
        assert.equal(await store.refreshTokens.get('n1'), undefined);
        assert.equal(await store.refreshTokens.get('n2'), undefined);
      });

      it('with no grace window any second presentation is reused, even in the same millisecond', async () => {
        await rotated();
        const strict = { graceMs: 0, reuseCount: 5 };
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('new'), T, strict)).outcome,
          'reused',
        );
      });

      it('with a reuse count of 0, a second presentation in the grace is refused', async () => {
        await rotated();
        const none = { graceMs: GRACE, reuseCount: 0 };
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('new'), T, none)).outcome,
          'replay_refused',
        );
      });

      it('an unknown token is unknown and stores nothing', async () => {
        assert.deepEqual(await store.refreshTokens.rotate('nope', refreshToken('new'), T, WINDOW), {
          outcome: 'unknown',
        });
        assert.equal(await store.refreshTokens.get('new'), undefined);
      });

      it('rotate ignores expiry and family revocation (the caller checks them)', async () => {
        await store.tokenFamilies.revoke('family-1', 'test', T - MINUTE);
        await store.refreshTokens.create(refreshToken('old', { expiresAt: T - MINUTE }));
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('new'), T, WINDOW)).outcome,
          'rotated',
        );
      });

      it('a successor that cannot be stored fails the rotation whole: the token stays unused', async () => {
        await store.refreshTokens.create(refreshToken('old'));
        await store.refreshTokens.create(refreshToken('taken'));
        await assert.rejects(store.refreshTokens.rotate('old', refreshToken('taken'), T, WINDOW));
        assert.deepEqual(await store.refreshTokens.get('old'), refreshToken('old'), 'not marked used');
        assert.equal(
          (await store.refreshTokens.rotate('old', refreshToken('new'), T + 1, WINDOW)).outcome,
          'rotated',
        );
      });

      for (const reuseCount of [1, 3]) {
        it(`of ${CONCURRENCY} concurrent presentations with reuse count ${reuseCount}: one rotation, ${reuseCount} replayed, one chain`, async () => {
          await store.refreshTokens.create(refreshToken('old'));
          const window = { graceMs: GRACE, reuseCount };
          const results = await Promise.all(
            range(CONCURRENCY).map((index) =>
              store.refreshTokens.rotate(
                'old',
                refreshToken('new', { issuedAt: T + index }),
                T + index,
                window,
              ),
            ),
          );
          assert.deepEqual(tally(results.map((result) => result.outcome)), {
            rotated: 1,
            replayed: reuseCount,
            replay_refused: CONCURRENCY - 1 - reuseCount,
          });
          assert.notEqual(await store.refreshTokens.get('new'), undefined, 'the one successor');
        });
      }

      it(`with no grace, of ${CONCURRENCY} concurrent first uses exactly one rotates and the rest are reused`, async () => {
        await store.refreshTokens.create(refreshToken('old'));
        const strict = { graceMs: 0, reuseCount: 1 };
        const results = await Promise.all(
          range(CONCURRENCY).map(() => store.refreshTokens.rotate('old', refreshToken('new'), T, strict)),
        );
        assert.deepEqual(tally(results.map((result) => result.outcome)), {
          rotated: 1,
          reused: CONCURRENCY - 1,
        });
      });

      if (openTwoHandles !== undefined) {
        it(`of ${CONCURRENCY} presentations racing over two handles, one rotation and one replay`, async () => {
          const [first, second] = await openTwoHandles();
          try {
            await first.refreshTokens.create(refreshToken('old'));
            const results = await Promise.all(
              range(CONCURRENCY).map((index) =>
                (index % 2 === 0 ? first : second).refreshTokens.rotate(
                  'old',
                  refreshToken('new'),
                  T,
                  WINDOW,
                ),
              ),
            );
            assert.deepEqual(tally(results.map((result) => result.outcome)), {
              rotated: 1,
              replayed: 1,
              replay_refused: CONCURRENCY - 2,
            });
          } finally {
            await Promise.all([first.close(), second.close()]);
          }
        });
      }
    });

    describe('code exchange', () => {
      const exchangeOf = (id: string, withToken = true) => ({
        family: family(id),
        ...(withToken ? { refreshToken: refreshToken(`rt-${id}`, { familyId: id }) } : {}),
        now: T,
      });

      it('get returns the code as stored, redeemed or not; nothing for an unknown one', async () => {
        await store.authorizationCodes.create(authorizationCode('d1', { expiresAt: T - MINUTE }));
        assert.deepEqual(
          await store.authorizationCodes.get('d1'),
          authorizationCode('d1', { expiresAt: T - MINUTE }),
        );
        await store.authorizationCodes.redeem('d1', 'f1', T);
        assert.deepEqual(
          await store.authorizationCodes.get('d1'),
          authorizationCode('d1', { expiresAt: T - MINUTE, redeemedAt: T, familyId: 'f1' }),
        );
        assert.equal(await store.authorizationCodes.get('nope'), undefined);
      });

      it('marks the code redeemed and stores its family and first refresh token', async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        assert.deepEqual(await store.authorizationCodes.exchange('d1', exchangeOf('f1')), {
          outcome: 'redeemed',
          code: authorizationCode('d1', { redeemedAt: T, familyId: 'f1' }),
        });
        assert.deepEqual(await store.tokenFamilies.get('f1'), family('f1'));
        assert.deepEqual(await store.refreshTokens.get('rt-f1'), refreshToken('rt-f1', { familyId: 'f1' }));
      });

      it('stores the family alone when the client gets no refresh token', async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        assert.equal(
          (await store.authorizationCodes.exchange('d1', exchangeOf('f1', false))).outcome,
          'redeemed',
        );
        assert.deepEqual(await store.tokenFamilies.get('f1'), family('f1'));
      });

      it('an unknown code is unknown and stores nothing', async () => {
        assert.deepEqual(await store.authorizationCodes.exchange('nope', exchangeOf('f1')), {
          outcome: 'unknown',
        });
        assert.equal(await store.tokenFamilies.get('f1'), undefined);
        assert.equal(await store.refreshTokens.get('rt-f1'), undefined);
      });

      it('a redeemed code is reused, as the winner left it, and stores nothing', async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.authorizationCodes.create(authorizationCode('d2'));
        await store.authorizationCodes.exchange('d1', exchangeOf('f1'));
        await store.authorizationCodes.redeem('d2', 'f-burnt', T);
        assert.deepEqual(await store.authorizationCodes.exchange('d1', exchangeOf('f2')), {
          outcome: 'reused',
          code: authorizationCode('d1', { redeemedAt: T, familyId: 'f1' }),
        });
        assert.equal((await store.authorizationCodes.exchange('d2', exchangeOf('f3'))).outcome, 'reused');
        for (const id of ['f2', 'f3']) {
          assert.equal(await store.tokenFamilies.get(id), undefined);
          assert.equal(await store.refreshTokens.get(`rt-${id}`), undefined);
        }
      });

      it('a revocation that came first keeps the family revoked', async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.tokenFamilies.revoke('f1', 'code_reused', T - 1);
        await store.authorizationCodes.exchange('d1', exchangeOf('f1'));
        assert.deepEqual(await store.tokenFamilies.get('f1'), {
          ...family('f1'),
          revokedAt: T - 1,
          revokedReason: 'code_reused',
        });
      });

      // A failure half-way (the family's id or the token's digest taken) leaves nothing behind.
      const failures: [string, (s: Store) => Promise<void>][] = [
        ['a family id that is taken', (s) => s.tokenFamilies.create(family('f1'))],
        ['a refresh token digest that is taken', (s) => s.refreshTokens.create(refreshToken('rt-f1'))],
      ];
      for (const [what, take] of failures) {
        it(`${what} fails the exchange whole: the code stays unredeemed`, async () => {
          await store.authorizationCodes.create(authorizationCode('d1'));
          await take(store);
          const before = [await store.tokenFamilies.get('f1'), await store.refreshTokens.get('rt-f1')];
          await assert.rejects(store.authorizationCodes.exchange('d1', exchangeOf('f1')));
          assert.deepEqual(await store.authorizationCodes.get('d1'), authorizationCode('d1'), 'not redeemed');
          assert.deepEqual(
            [await store.tokenFamilies.get('f1'), await store.refreshTokens.get('rt-f1')],
            before,
          );
          assert.equal((await store.authorizationCodes.exchange('d1', exchangeOf('f2'))).outcome, 'redeemed');
        });
      }

      it(`of ${CONCURRENCY} concurrent exchanges and burns, exactly one wins and only its session is stored`, async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        const results = await Promise.all(
          range(CONCURRENCY).map((index) =>
            index % 4 === 3
              ? store.authorizationCodes.redeem('d1', `f${index}`, T)
              : store.authorizationCodes.exchange('d1', exchangeOf(`f${index}`)),
          ),
        );
        const winners = results.flatMap((result) => (result.outcome === 'redeemed' ? [result.code] : []));
        assert.equal(winners.length, 1);
        const winner = winners[0]!.familyId!;
        for (const index of range(CONCURRENCY)) {
          const id = `f${index}`;
          const stored = id === winner && index % 4 !== 3;
          assert.equal((await store.tokenFamilies.get(id)) !== undefined, stored, `family ${id}`);
          assert.equal((await store.refreshTokens.get(`rt-${id}`)) !== undefined, stored, `token of ${id}`);
        }
      });
    });

    describe('code replay', () => {
      it('a code that is unknown or not redeemed is unknown', async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        assert.deepEqual(await store.authorizationCodes.replay('nope', T, WINDOW), { outcome: 'unknown' });
        assert.deepEqual(await store.authorizationCodes.replay('d1', T, WINDOW), { outcome: 'unknown' });
      });

      it('in the grace: replayed reuseCount times, then refused; after it, or without one, reused', async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.authorizationCodes.exchange('d1', { family: family('f1'), now: T });
        const window = { graceMs: GRACE, reuseCount: 2 };
        const outcomes = [];
        for (const now of [T, T + GRACE, T + GRACE]) {
          outcomes.push((await store.authorizationCodes.replay('d1', now, window)).outcome);
        }
        outcomes.push((await store.authorizationCodes.replay('d1', T + GRACE + 1, window)).outcome);
        outcomes.push(
          (await store.authorizationCodes.replay('d1', T, { graceMs: 0, reuseCount: 2 })).outcome,
        );
        assert.deepEqual(outcomes, ['replayed', 'replayed', 'replay_refused', 'reused', 'reused']);
        assert.deepEqual(
          await store.authorizationCodes.get('d1'),
          authorizationCode('d1', { redeemedAt: T, familyId: 'f1' }),
        );
      });

      it(`of ${CONCURRENCY} concurrent replays, exactly reuseCount are replayed`, async () => {
        await store.authorizationCodes.create(authorizationCode('d1'));
        await store.authorizationCodes.exchange('d1', { family: family('f1'), now: T });
        const results = await Promise.all(
          range(CONCURRENCY).map(() =>
            store.authorizationCodes.replay('d1', T + 1, { graceMs: GRACE, reuseCount: 3 }),
          ),
        );
        assert.deepEqual(tally(results.map((result) => result.outcome)), {
          replayed: 3,
          replay_refused: CONCURRENCY - 3,
        });
      });
    });
  });
}

/** How many times each outcome occurs. */
function tally(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
