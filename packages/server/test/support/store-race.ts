/**
 * The race both SQL stores run between separate connections (SQLite: worker threads; PostgreSQL:
 * separate pools): per round, one-time operations that exactly one racer may win.
 */
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.ts';

/** What one racer saw in one round. */
export interface RaceRoundResult {
  redeemed: boolean;
  rotated: boolean;
  consumed: boolean;
  remembered: boolean;
  grantId: string;
  secret: string;
}

/** Creates round `round`'s code `code-N`, refresh token `token-N` and authorization request `request-N`. */
export async function seedRaceRound(store: Store, round: number, now: number): Promise<void> {
  await store.authorizationCodes.create({
    digest: `code-${round}`,
    clientId: 'c1',
    userId: 'u1',
    grantId: 'g1',
    redirectUri: 'http://127.0.0.1/callback',
    redirectUriSent: false,
    codeChallenge: 'challenge',
    scope: ['read'],
    resources: [],
    authTime: now,
    issuedAt: now,
    expiresAt: now + 60_000,
  });
  await store.refreshTokens.create({
    digest: `token-${round}`,
    familyId: 'family-0',
    issuedAt: now,
    expiresAt: now + 60_000,
  });
  await store.authorizationRequests.create({
    id: `request-${round}`,
    clientId: 'c1',
    redirectUri: 'http://127.0.0.1/callback',
    redirectUriSent: true,
    scope: ['read'],
    resources: [],
    codeChallenge: 'challenge',
    codeChallengeMethod: 'S256',
    browserBindingDigest: 'binding',
    csrfToken: 'csrf',
    createdAt: now,
    expiresAt: now + 60_000,
  });
}

/**
 * Round `round`, raced by `of` (one result per racer, racer `n` tagging what it wrote `${tag}${n}`:
 * family `family-${tag}${n}-r${round}`, grant scope `scope-${tag}${n}`): exactly one racer won each
 * one-time operation, all saw one grant and one secret, and the store kept the winner's family and
 * every racer's scope.
 */
export async function assertRaceRound(
  store: Store,
  round: number,
  of: readonly RaceRoundResult[],
  { tag, now }: { tag: string; now: number },
): Promise<void> {
  const winners = (won: (result: RaceRoundResult) => boolean) => of.filter(won).length;
  assert.equal(
    winners((result) => result.redeemed),
    1,
    `code ${round} redeemed once`,
  );
  assert.equal(
    winners((result) => result.rotated),
    1,
    `refresh token ${round} rotated once`,
  );
  assert.equal(
    winners((result) => result.consumed),
    1,
    `request ${round} consumed once`,
  );
  assert.equal(
    winners((result) => result.remembered),
    1,
    `jti ${round} remembered once`,
  );
  assert.equal(new Set(of.map((result) => result.grantId)).size, 1, `one grant for installation ${round}`);
  assert.equal(new Set(of.map((result) => result.secret)).size, 1, `one value for secret ${round}`);

  const code = await store.authorizationCodes.redeem(`code-${round}`, 'late', now);
  const winner = of.findIndex((result) => result.redeemed);
  assert.deepEqual(
    [code.outcome, code.outcome === 'unknown' ? undefined : code.code.familyId],
    ['reused', `family-${tag}${winner}-r${round}`],
  );
  const grant = await store.grants.find('u1', 'c1', `http://127.0.0.1/${round}`);
  assert.deepEqual(
    [...(grant?.scope ?? [])].sort(),
    Array.from({ length: of.length }, (_, racer) => `scope-${tag}${racer}`),
    `grant ${round} holds every racer's scope`,
  );
}
