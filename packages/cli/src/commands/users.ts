import { randomUUID } from 'node:crypto';
import { hashPassword, type Store } from '@gatehouse-oauth/server';
import { UsageError } from '../usage-error.ts';

/** `gatehouse users add <name> --password-stdin` and `gatehouse users list`. */
export async function usersCommand(
  store: Store,
  args: readonly string[],
  flags: { passwordStdin: boolean },
): Promise<void> {
  const [action, name] = args;
  if (action === 'list') {
    for (const user of await store.users.list()) {
      process.stdout.write(
        `${user.username}\t${user.id}\t${new Date(user.createdAt).toISOString()}${user.disabledAt === undefined ? '' : '\tdisabled'}\n`,
      );
    }
    return;
  }
  if (action !== 'add' || name === undefined)
    throw new UsageError('usage: gatehouse users add <name> --password-stdin | users list');
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
    throw new UsageError('a username is 1-64 letters, digits, or . _ @ -');
  }
  // Passwords come on standard input only: never in argv (visible in `ps`) or the shell history.
  if (!flags.passwordStdin) throw new UsageError('give the password on standard input with --password-stdin');
  const password = (await readStdin()).replace(/\r?\n$/, '');
  if (password.length < 8) throw new UsageError('the password must have at least 8 characters');
  const created = await store.users.create({
    id: randomUUID(),
    username: name,
    passwordHash: await hashPassword(password),
    createdAt: Date.now(),
  });
  if (!created) throw new UsageError(`user ${name} already exists`);
  await store.audit.append({ at: Date.now(), type: 'user.added', detail: { username: name, by: 'cli' } });
  process.stdout.write(`added user ${name}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
