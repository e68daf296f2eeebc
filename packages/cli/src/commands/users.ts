import { randomUUID } from 'node:crypto';
import {
  createUserAdmin,
  hashPassword,
  type Store,
  subjectProblem,
  type UserAdmin,
  type UserRecord,
} from '@gatehouse-oauth/server';
import { cliActor } from '../cli-lifecycle.ts';
import { UsageError } from '../usage-error.ts';

export interface UsersFlags {
  passwordStdin: boolean;
  sub?: string | undefined;
  /** The atproto profile's subjects are DIDs (AT-10): a `sub` of another form is refused. */
  requireDid: boolean;
  /** `users add --admin`: the account may sign in to the admin console (decision 0040). */
  admin?: boolean;
  /** `users list --json`. */
  json?: boolean;
}

const USAGE =
  'usage: gatehouse users add <name> [--sub <subject>] --password-stdin | users list' +
  ' | users remove|disable|enable <name> | users set-password <name> --password-stdin' +
  ' | users set-sub <name> <subject> | users grant-admin|revoke-admin <name>';

/**
 * `gatehouse users add|list|remove|disable|enable|set-password|set-sub` (issue #16). Every change is
 * audited with the operating system user as actor (`cli:<user>`), as `clients remove` is.
 */
export async function usersCommand(store: Store, args: readonly string[], flags: UsersFlags): Promise<void> {
  const [action, name, value] = args;
  if (action === 'list' && name === undefined) return listUsers(store, flags.json === true);
  if (action === 'add' && name !== undefined && value === undefined) return addUser(store, name, flags);
  if (action === undefined || name === undefined || (value !== undefined) !== (action === 'set-sub'))
    throw new UsageError(USAGE);
  const user = await existingUser(store, name, action);
  const audit = (type: string, detail: Record<string, unknown> = {}) =>
    store.audit.append({
      at: Date.now(),
      type,
      userId: user.id,
      actor: cliActor(),
      detail: { username: name, ...detail },
    });
  switch (action) {
    case 'remove': {
      // Grants first (each revokes its token families), then the account: a removal interrupted
      // between the two leaves an account with no live grant, never live grants of no account.
      let revoked = 0;
      for (const grant of await store.grants.listByUser(user.id)) {
        if (grant.revokedAt !== undefined) continue;
        await store.grants.revoke(grant.id, 'user_removed', Date.now());
        revoked++;
      }
      await store.users.delete(user.id);
      await audit('user.removed', { grants_revoked: revoked });
      process.stdout.write(`removed user ${name}; revoked ${revoked} grant${revoked === 1 ? '' : 's'}\n`);
      return;
    }
    case 'disable':
    case 'enable': {
      // Grants and sessions are kept: the server ignores them while the account is disabled
      // (user-standing.ts in @gatehouse-oauth/server), so enabling it restores them.
      await userAdmin(store).update(name, { disabled: action === 'disable' }, { actor: cliActor() });
      process.stdout.write(`${action}d user ${name}\n`);
      return;
    }
    case 'set-password':
      await userAdmin(store).update(
        name,
        { password: await passwordFromStdin(flags) },
        { actor: cliActor() },
      );
      process.stdout.write(`set the password of user ${name}\n`);
      return;
    case 'set-sub': {
      const sub = checkedSub(value!, flags);
      const outcome = await store.users.setSub(user.id, sub);
      if (outcome === 'taken') throw new UsageError(`another user already has the subject ${sub}`);
      if (outcome === 'unknown') throw new UsageError(`no user ${name}`);
      await audit('user.sub_set', { sub, previous: user.sub ?? null });
      process.stdout.write(`user ${name} now has the subject ${sub}\n`);
      return;
    }
    case 'grant-admin':
    case 'revoke-admin': {
      const admin = action === 'grant-admin';
      await userAdmin(store).update(name, { admin }, { actor: cliActor() });
      process.stdout.write(
        `${admin ? 'granted' : 'revoked'} the admin role ${admin ? 'to' : 'of'} user ${name}\n`,
      );
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}

/**
 * The users service the admin API and the console call (issue #15), auditing into this store: one
 * place decides what a disable, an enable, a password or the admin role changes and audits.
 */
function userAdmin(store: Store): UserAdmin {
  return createUserAdmin({
    users: store.users,
    audit: (event) => store.audit.append({ at: Date.now(), ...event }),
    clock: Date.now,
  });
}

async function listUsers(store: Store, json: boolean): Promise<void> {
  const users = await store.users.list();
  if (json) {
    const listed = users.map((user) => ({
      username: user.username,
      id: user.id,
      created_at: new Date(user.createdAt).toISOString(),
      ...(user.sub === undefined ? {} : { sub: user.sub }),
      disabled: user.disabledAt !== undefined,
      admin: user.admin === true,
    }));
    process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    return;
  }
  for (const user of users) {
    const columns = [user.username, user.id, new Date(user.createdAt).toISOString()];
    if (user.sub !== undefined) columns.push(`sub=${user.sub}`);
    if (user.disabledAt !== undefined) columns.push('disabled');
    if (user.admin === true) columns.push('admin');
    process.stdout.write(`${columns.join('\t')}\n`);
  }
}

async function addUser(store: Store, name: string, flags: UsersFlags): Promise<void> {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
    throw new UsageError('a username is 1-64 letters, digits, or . _ @ -');
  }
  const sub = flags.sub === undefined ? undefined : checkedSub(flags.sub, flags);
  const record: UserRecord = {
    id: randomUUID(),
    username: name,
    passwordHash: await hashPassword(await passwordFromStdin(flags)),
    createdAt: Date.now(),
    ...(sub === undefined ? {} : { sub }),
    ...(flags.admin === true ? { admin: true as const } : {}),
  };
  if (!(await store.users.create(record))) {
    // create() does not say which unique key clashed; the random id practically never does.
    if ((await store.users.findByUsername(name)) !== undefined)
      throw new UsageError(`user ${name} already exists`);
    throw new UsageError(`another user already has the subject ${sub}`);
  }
  await store.audit.append({
    at: Date.now(),
    type: 'user.added',
    userId: record.id,
    actor: cliActor(),
    detail: {
      username: name,
      ...(sub === undefined ? {} : { sub }),
      ...(flags.admin === true ? { admin: true } : {}),
    },
  });
  const role = flags.admin === true ? ' (admin)' : '';
  process.stdout.write(`added user ${name}${role}${sub === undefined ? '' : ` with the subject ${sub}`}\n`);
}

async function existingUser(store: Store, name: string, action: string): Promise<UserRecord> {
  if (
    !['remove', 'disable', 'enable', 'set-password', 'set-sub', 'grant-admin', 'revoke-admin'].includes(
      action,
    )
  )
    throw new UsageError(USAGE);
  const user = await store.users.findByUsername(name);
  if (user === undefined) throw new UsageError(`no user ${name}`);
  return user;
}

function checkedSub(sub: string, flags: UsersFlags): string {
  const problem = subjectProblem(sub, { requireDid: flags.requireDid });
  if (problem !== undefined) throw new UsageError(problem);
  return sub;
}

/** Passwords come on standard input only: never in argv (visible in `ps`) or the shell history. */
async function passwordFromStdin(flags: UsersFlags): Promise<string> {
  if (!flags.passwordStdin) throw new UsageError('give the password on standard input with --password-stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password.length < 8) throw new UsageError('the password must have at least 8 characters');
  return password;
}
