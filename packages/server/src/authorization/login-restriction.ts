import type { AccountRestriction, ProfileHooks } from '../profiles/profile.ts';
import type { UserStore } from '../store/store.ts';

/** What deciding whether a session may answer a hinted request needs. */
export interface LoginRestrictionDeps {
  profile: Pick<ProfileHooks, 'accountRestriction'>;
  store: { users: Pick<UserStore, 'get'> };
  subjectOf(userId: string): Promise<string>;
}

/** The account the request's `login_hint` restricts the login to, if the profile restricts it. */
export function loginRestriction(
  deps: Pick<LoginRestrictionDeps, 'profile'>,
  loginHint: string | undefined,
): AccountRestriction | undefined {
  return deps.profile.accountRestriction?.(loginHint);
}

/** Whether a signed-in user may answer a request with this hint (true when there is no restriction). */
export async function sessionIsHintedAccount(
  deps: LoginRestrictionDeps,
  loginHint: string | undefined,
  userId: string,
): Promise<boolean> {
  const only = loginRestriction(deps, loginHint);
  if (only === undefined) return true;
  const user = await deps.store.users.get(userId);
  return user !== undefined && (await only.matches(user, deps.subjectOf));
}
