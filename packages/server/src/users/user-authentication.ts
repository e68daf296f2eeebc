import type { UserStore } from '../store/store.ts';
import { decoyPasswordHash, verifyPassword } from './password.ts';

/** The user a login proved, as the session and the consent page know them. */
export interface AuthenticatedUser {
  id: string;
  username: string;
}

/**
 * Authentication of the user at the login page (docs/extension-points.md, "user authentication"):
 * the submitted username and password (and the whole form, for extra fields) in, the user they
 * prove out, or undefined for a failed login. The default checks the store's local accounts.
 */
export type UserAuthenticator = (login: {
  username: string;
  password: string;
  form: ReadonlyMap<string, string>;
}) => Promise<AuthenticatedUser | undefined>;

/**
 * Local accounts with argon2/scrypt password hashes (users/password.ts). Unknown users are checked
 * against a decoy hash, so the response time does not reveal which names exist; disabled accounts
 * fail like a wrong password.
 */
export function localPasswordAuthentication(users: Pick<UserStore, 'findByUsername'>): UserAuthenticator {
  return async ({ username, password }) => {
    const user = username === '' ? undefined : await users.findByUsername(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (user === undefined || !ok || user.disabledAt !== undefined) return undefined;
    return { id: user.id, username: user.username };
  };
}
