import { once } from 'node:events';
import { isOAuthError } from '@gatehouse-oauth/core';
import {
  type AuditEvent,
  type AuditFilter,
  type AuditQuery,
  createAuditQuery,
  type Store,
} from '@gatehouse-oauth/server';
import { UsageError } from '../usage-error.ts';
import { positiveInteger } from './registration-tokens.ts';

export interface AuditFlags {
  client?: string | undefined;
  /** An account's name, or `id:<user_id>` (an account removed since keeps its id on its events). */
  user?: string | undefined;
  type?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit?: string | undefined;
  json: boolean;
}

/** What `gatehouse audit` lists without `--limit`: a screenful, not the log. */
export const AUDIT_LIST_DEFAULT = 100;

/** Account names looked up per listing, at most: a long listing does not grow a map of every user. */
const NAMES_REMEMBERED = 10_000;

const USAGE =
  'usage: gatehouse audit [--client ID] [--user NAME|id:ID] [--type T] [--actor A] [--since ISO-8601]' +
  ' [--until ISO-8601] [--limit N] [--json] | audit export [the same filters] [--limit N]';

/**
 * `gatehouse audit` and `gatehouse audit export` (issue #14, item 6): the audit log, read through
 * the same query as the admin API (createAuditQuery), against the store the configuration names.
 * The listing prints one line per event (time, type, actor, client, user, reason), newest first,
 * `--json` an array of the stored events; `export` writes every matching event as JSON Lines,
 * a store page at a time and no faster than standard output takes them, so millions of events
 * never sit in memory. A reader that goes away (`| head`) ends it quietly.
 */
export async function auditCommand(store: Store, args: readonly string[], flags: AuditFlags): Promise<void> {
  const [action, ...extra] = args;
  if (extra.length > 0 || (action !== undefined && action !== 'export')) throw new UsageError(USAGE);
  const query = createAuditQuery({ audit: store.audit, users: store.users });
  const filter = await filterOf(query, flags);
  const limit = flags.limit === undefined ? undefined : positiveInteger('--limit', flags.limit);
  const out = standardOutput();
  try {
    if (action === 'export') {
      if (flags.json)
        throw new UsageError('audit export writes JSON Lines already; --json is for the listing');
      for await (const event of query.stream(filter, { limit }))
        await out.write(`${JSON.stringify(event)}\n`);
    } else {
      const events = query.stream(filter, { limit: limit ?? AUDIT_LIST_DEFAULT });
      const names = accountNames(store);
      if (flags.json) await writeJsonArray(out, events, names);
      else await writeLines(out, events, names);
    }
    await out.end();
  } catch (error) {
    if (!(error instanceof ReaderGone)) throw error;
  }
}

async function filterOf(query: AuditQuery, flags: AuditFlags): Promise<AuditFilter> {
  const byId = flags.user?.startsWith('id:') === true;
  try {
    return await query.filter({
      clientId: flags.client,
      ...(byId ? { userId: flags.user!.slice(3) } : { user: flags.user }),
      type: flags.type,
      actor: flags.actor,
      since: flags.since,
      until: flags.until,
    });
  } catch (error) {
    // The query's refusals say what to fix (docs/errors.md, "Audit log"): a usage error, exit 2.
    if (isOAuthError(error)) {
      const hint =
        error.reason === 'user_not_found' ? ' (an account removed since: --user id:<user_id>)' : '';
      throw new UsageError(`${error.message}${hint}`);
    }
    throw error;
  }
}

async function writeLines(
  out: Output,
  events: AsyncIterable<AuditEvent>,
  names: AccountNames,
): Promise<void> {
  let any = false;
  for await (const event of events) {
    any = true;
    const user = event.userId === undefined ? undefined : ((await names(event.userId)) ?? event.userId);
    const columns = [
      new Date(event.at).toISOString(),
      event.type,
      event.actor,
      event.clientId,
      user,
      event.reason,
    ];
    await out.write(`${columns.map((column) => column ?? '-').join('\t')}\n`);
  }
  if (!any) await out.write('no audit events\n');
}

/** The stored events, each with its account's `username` while the account exists. */
async function writeJsonArray(
  out: Output,
  events: AsyncIterable<AuditEvent>,
  names: AccountNames,
): Promise<void> {
  let separator = '[\n';
  for await (const event of events) {
    const username = event.userId === undefined ? undefined : await names(event.userId);
    const item = username === undefined ? event : { ...event, username };
    await out.write(`${separator}  ${JSON.stringify(item)}`);
    separator = ',\n';
  }
  await out.write(separator === '[\n' ? '[]\n' : '\n]\n');
}

type AccountNames = (userId: string) => Promise<string | undefined>;

function accountNames(store: Store): AccountNames {
  const known = new Map<string, string | undefined>();
  return async (userId) => {
    if (known.has(userId)) return known.get(userId);
    const name = (await store.users.get(userId))?.username;
    if (known.size < NAMES_REMEMBERED) known.set(userId, name);
    return name;
  };
}

/** Standard output has gone away (the reader closed the pipe): stop writing, successfully. */
class ReaderGone extends Error {}

interface Output {
  write(text: string): Promise<void>;
  /** Writes what is still gathered. */
  end(): Promise<void>;
}

/** Characters gathered before a write: one write per line would be a system call per event. */
const CHUNK_CHARACTERS = 64 * 1024;

/**
 * Writes gathered into chunks, each waiting for `drain` when the pipe is full, ending quietly when
 * the reader is gone. The EPIPE listener stays for the life of the process: output still buffered
 * when the command returns may meet the closed pipe later, and that is no failure of the command.
 */
function standardOutput(): Output {
  const stdout = process.stdout;
  let gone = false;
  let chunk = '';
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    gone = true;
  });
  const flush = async () => {
    if (gone) throw new ReaderGone();
    const text = chunk;
    chunk = '';
    if (text === '' || stdout.write(text)) return;
    try {
      await once(stdout, 'drain');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw new ReaderGone();
      throw error;
    }
  };
  return {
    async write(text) {
      chunk += text;
      if (chunk.length >= CHUNK_CHARACTERS) await flush();
    },
    end: flush,
  };
}
