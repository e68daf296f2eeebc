/**
 * What an operator does to a local account (issue #15: everything the console does, the admin API
 * and the CLI do too): list accounts, disable and enable one, set its password, grant and take
 * back the admin role. One service for the admin API (PATCH /admin/v1/users/{user}) and the
 * console; each change is audited with its actor and before/after, with the event types
 * `gatehouse users` writes (docs/audit-events.md).
 */
import { OAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { UserRecord, UserStore } from '../store/store.ts';
import { hashPassword } from './password.ts';

/** A password an operator sets: what `users set-password` accepts. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export interface UserChange {
  disabled?: boolean | undefined;
  admin?: boolean | undefined;
  password?: string | undefined;
}

export interface UserChangeResult {
  user: UserRecord;
  /** Which of the asked changes changed something (and were audited). */
  changed: ('disabled' | 'admin' | 'password')[];
}

export interface UserAdmin {
  list(): Promise<UserRecord[]>;
  /** By username, or by id when no account has that name. Throws `user_not_found` (404). */
  find(user: string): Promise<UserRecord>;
  /** Applies the change (enable/disable, admin role, password); throws `invalid_user_change` (400). */
  update(user: string, change: UserChange, options: { actor: string }): Promise<UserChangeResult>;
}

export function createUserAdmin(deps: {
  users: Pick<UserStore, 'list' | 'findByUsername' | 'get' | 'setDisabled' | 'setAdmin' | 'setPassword'>;
  audit: Audit;
  clock: () => number;
}): UserAdmin {
  const { users, audit, clock } = deps;
  const find = async (name: string) => {
    const user = (await users.findByUsername(name)) ?? (await users.get(name));
    if (user === undefined)
      throw new OAuthError('invalid_request', {
        status: 404,
        reason: 'user_not_found',
        description: `no user ${name}`,
      });
    return user;
  };
  return {
    list: () => users.list(),
    find,
    async update(name, change, { actor }) {
      const { password } = change;
      if (
        password !== undefined &&
        (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
      )
        throw new OAuthError('invalid_request', {
          reason: 'invalid_user_change',
          description: `a password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
        });
      const user = await find(name);
      const changed: UserChangeResult['changed'] = [];
      const event = (type: string, detail: Record<string, unknown> = {}) =>
        audit({ type, userId: user.id, actor, detail: { username: user.username, ...detail } });
      if (change.disabled !== undefined && change.disabled !== (user.disabledAt !== undefined)) {
        await users.setDisabled(user.id, change.disabled ? clock() : undefined);
        const before = { disabled: !change.disabled };
        const after = { disabled: change.disabled };
        if (change.disabled) await event('user.disabled', { before, after });
        else await event('user.enabled', { before, after });
        changed.push('disabled');
      }
      if (change.admin !== undefined && change.admin !== (user.admin === true)) {
        await users.setAdmin(user.id, change.admin);
        const before = { admin: !change.admin };
        const after = { admin: change.admin };
        if (change.admin) await event('user.admin_granted', { before, after });
        else await event('user.admin_revoked', { before, after });
        changed.push('admin');
      }
      if (password !== undefined) {
        await users.setPassword(user.id, await hashPassword(password));
        await event('user.password_set');
        changed.push('password');
      }
      return { user: (await users.get(user.id)) ?? user, changed };
    },
  };
}
