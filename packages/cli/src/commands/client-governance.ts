import { isOAuthError, TRUST_TIERS, type TrustTier } from '@gatehouse-oauth/core';
import {
  createGovernanceAdmin,
  type GovernanceAdmin,
  type RuleChange,
  type ServerConfig,
  type Store,
} from '@gatehouse-oauth/server';
import { cliActor, cliLifecycle } from '../cli-lifecycle.ts';
import { UsageError } from '../usage-error.ts';

/** The `clients` actions this file answers (commands/clients.ts dispatches them here). */
export const GOVERNANCE_ACTIONS: readonly string[] = ['approve', 'block', 'unblock', 'pending', 'rules'];

export interface ClientGovernanceFlags {
  tier?: string | undefined;
  owner?: string | undefined;
  note?: string | undefined;
  reason?: string | undefined;
  json: boolean;
  /** The loaded configuration's `governance`: its file rules are listed, never written. */
  governance: Pick<ServerConfig['governance'], 'mode' | 'rules'>;
}

const USAGE =
  'usage: gatehouse clients approve <client_id|rule> [--tier T] [--owner O] [--note N]' +
  ' | clients block <client_id|rule> [--reason R] | clients unblock <client_id|rule>' +
  ' | clients pending [--json] | clients rules [--json]';

/**
 * `gatehouse clients approve|block|unblock|pending|rules` (issue #13): the operator's governance
 * operations through the same service the server and the admin API use (createGovernanceAdmin),
 * against the store the configuration names, with the operating system user as actor. Every running
 * instance applies a change within a second (the client change feed). Refusals (a selector that
 * cannot match, no stored block, a block from the configuration file) are usage errors: the
 * message, exit code 2, no stack trace.
 */
export async function clientGovernanceCommand(
  store: Store,
  args: readonly string[],
  flags: ClientGovernanceFlags,
): Promise<void> {
  const [action, target, ...extra] = args;
  const admin = createGovernanceAdmin({
    store,
    lifecycle: cliLifecycle(store),
    audit: (event) => store.audit.append({ at: Date.now(), ...event }),
    clock: Date.now,
    fileRules: flags.governance.rules,
    mode: flags.governance.mode,
  });
  if (extra.length > 0) throw new UsageError(USAGE);
  try {
    if (action === 'pending' && target === undefined) return await pending(store, admin, flags.json);
    if (action === 'rules' && target === undefined) return await rules(admin, flags.json);
    if (target === undefined) throw new UsageError(USAGE);
    const actor = cliActor();
    switch (action) {
      case 'approve': {
        const change = await admin.approve(target, {
          actor,
          ...defined({ tier: tierFlag(flags.tier), owner: flags.owner, note: flags.note }),
        });
        say(
          change.changed
            ? `approved ${ruleText(change)}`
            : `${change.selector} was already approved; nothing changed`,
        );
        warnIfFileRuleHoldsBack(change, ['blocked', 'pending']);
        return;
      }
      case 'block': {
        const change = await admin.block(target, { actor, ...defined({ reason: flags.reason }) });
        const grants = change.revoked.reduce((sum, { result }) => sum + result.grantsRevoked, 0);
        const families = change.revoked.reduce((sum, { result }) => sum + result.familiesRevoked, 0);
        say(
          change.changed
            ? `blocked ${change.selector}; revoked ${count(grants, 'grant')} and ` +
                `${count(families, 'token family', 'token families')} of ${count(change.revoked.length, 'client')}`
            : `${change.selector} was already blocked; nothing changed`,
        );
        return;
      }
      case 'unblock': {
        const change = await admin.unblock(target, { actor });
        const tier = change.after?.tier;
        say(`unblocked ${change.selector}${tier === undefined ? '' : `; the rule keeps tier ${tier}`}`);
        warnIfFileRuleHoldsBack(change, ['blocked']);
        return;
      }
      default:
        throw new UsageError(USAGE);
    }
  } catch (error) {
    // The service's refusals carry what to fix in their message (docs/errors.md, "Governance").
    if (isOAuthError(error)) throw new UsageError(error.message);
    throw error;
  }
}

async function pending(store: Store, admin: GovernanceAdmin, json: boolean): Promise<void> {
  const { requests, holds } = await admin.pending();
  const usernames = new Map<string, string | undefined>();
  for (const { userId } of requests) {
    if (!usernames.has(userId)) usernames.set(userId, (await store.users.get(userId))?.username);
  }
  if (json) {
    // The service's own objects (as the admin API answers), each request with its user's name.
    const named = requests.map((request) => ({
      ...request,
      ...defined({ username: usernames.get(request.userId) }),
    }));
    say(JSON.stringify({ requests: named, holds }, null, 2));
    return;
  }
  if (requests.length === 0) say('no access requests');
  else {
    say(`access requests (client, user, first, last, attempts, client name): ${requests.length}`);
    for (const request of requests) {
      say(
        [
          request.clientId,
          usernames.get(request.userId) ?? request.userId,
          iso(request.firstAt),
          iso(request.lastAt),
          count(request.attempts, 'attempt'),
          request.clientName ?? '',
        ].join('\t'),
      );
    }
  }
  if (holds.length === 0) say('no held clients');
  else {
    say(`held clients (client, since, reason): ${holds.length}`);
    for (const hold of holds) say([hold.clientId, iso(hold.at), hold.reason].join('\t'));
  }
}

async function rules(admin: GovernanceAdmin, json: boolean): Promise<void> {
  const listed = await admin.rules();
  if (json) {
    say(JSON.stringify(listed, null, 2));
    return;
  }
  if (listed.length === 0) say('no rules');
  for (const rule of listed) {
    const columns = [rule.origin, rule.selector, rule.state ?? '-', rule.tier ?? '-'];
    if (rule.owner !== undefined) columns.push(`owner=${rule.owner}`);
    if (rule.note !== undefined) columns.push(`note=${rule.note}`);
    if (rule.updatedBy !== undefined) columns.push(`by=${rule.updatedBy}`);
    if (rule.updatedAt !== undefined) columns.push(`at=${iso(rule.updatedAt)}`);
    say(columns.join('\t'));
  }
}

function tierFlag(tier: string | undefined): TrustTier | undefined {
  if (tier === undefined || (TRUST_TIERS as readonly string[]).includes(tier)) return tier as TrustTier;
  throw new UsageError(`--tier must be one of ${TRUST_TIERS.join(', ')}, not ${tier}`);
}

function ruleText(change: RuleChange): string {
  const rule = change.after;
  const parts = [
    ...(rule?.tier === undefined ? [] : [`tier ${rule.tier}`]),
    ...(rule?.owner === undefined ? [] : [`owner ${rule.owner}`]),
  ];
  return parts.length === 0 ? change.selector : `${change.selector} (${parts.join(', ')})`;
}

/**
 * The configuration file's rule on the same selector applies too, and of equally specific rules the
 * safer state wins: a file rule that still holds the clients back is worth a warning.
 */
function warnIfFileRuleHoldsBack(change: RuleChange, holdingBack: readonly string[]): void {
  const fileState = change.fileRule?.state;
  if (fileState === undefined || !holdingBack.includes(fileState)) return;
  process.stderr.write(
    `gatehouse: WARNING: the configuration file's rule for ${change.selector} sets ${fileState}, ` +
      'and of equally specific rules the safer state wins: change the file (governance.rules) to change that\n',
  );
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The object without its unset members (exactOptionalPropertyTypes, and JSON without nulls). */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
