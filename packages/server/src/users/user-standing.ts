import { OAuthError } from '@gatehouse-oauth/core';
import type { UserStore } from '../store/store.ts';

/**
 * Whether what a user once granted still counts: `active`, `disabled` (an operator disabled the
 * account), or `unknown` (the account was removed). Grants, token families and login sessions
 * outlive a disable on purpose, so enabling the account brings them back; every place that trusts
 * one asks this first (refresh and code grants, introspection, the browser session).
 */
export type UserStanding = 'active' | 'disabled' | 'unknown';

/**
 * With local accounts (no `authenticateUser` injected) a user missing from the store was removed.
 * With an embedder's authenticator the users may live elsewhere, so a missing record says nothing
 * and only a stored, disabled record counts.
 */
export function createUserStanding(
  users: Pick<UserStore, 'get'>,
  options: { localAccounts: boolean },
): (userId: string) => Promise<UserStanding> {
  return async (userId) => {
    const user = await users.get(userId);
    if (user === undefined) return options.localAccounts ? 'unknown' : 'active';
    return user.disabledAt === undefined ? 'active' : 'disabled';
  };
}

/** For the token endpoint: a grant of a disabled or removed user is refused (invalid_grant). */
export async function requireUserInGoodStanding(
  ctx: { userStanding(userId: string): Promise<UserStanding> },
  userId: string,
): Promise<void> {
  const standing = await ctx.userStanding(userId);
  if (standing === 'disabled') {
    throw new OAuthError('invalid_grant', {
      reason: 'user_disabled',
      description: 'the account this grant belongs to is disabled',
    });
  }
  if (standing === 'unknown') {
    throw new OAuthError('invalid_grant', {
      reason: 'user_unknown',
      description: 'the user this grant belongs to no longer exists',
    });
  }
}
