import { isOAuthError } from '@gatehouse-oauth/core';
import {
  type BlastRadius,
  type ClientInventory,
  createClientInventoryFor,
  type InventoryDetail,
  type InventoryEntry,
  MAX_PAGE,
  type OperatorFieldsChange,
  type ReachTarget,
  type Store,
} from '@gatehouse-oauth/server';
import { cliActor, cliLifecycle } from '../cli-lifecycle.ts';
import { ConfigError, type GatehouseConfig, resolveIssuer } from '../config.ts';
import { serverSettings } from '../server-options.ts';
import { UsageError } from '../usage-error.ts';

/** The `clients` actions this file answers (main.ts routes them here). */
export const INVENTORY_ACTIONS: readonly string[] = ['list', 'show', 'set-owner', 'blast-radius'];

export interface InventoryFlags {
  kind?: string | undefined;
  state?: string | undefined;
  tier?: string | undefined;
  domain?: string | undefined;
  idleDays?: string | undefined;
  installationsOf?: string | undefined;
  owner?: string | undefined;
  team?: string | undefined;
  contact?: string | undefined;
  labels?: string[] | undefined;
  note?: string | undefined;
  softwareId?: string | undefined;
  user?: string | undefined;
  revoke: boolean;
  json: boolean;
}

const USAGE =
  'usage: gatehouse clients list [--kind K] [--state S] [--tier T] [--domain D] [--idle-days N] [--installations-of ID] [--json]' +
  ' | clients show <client_id> [--json]' +
  ' | clients set-owner <client_id> [--owner O] [--team T] [--contact C] [--label L]... [--note N]' +
  ' | clients blast-radius <client_id> | --domain <host> | --software-id <id> | --user <name> [--revoke] [--json]';

/**
 * `gatehouse clients list|show|set-owner|blast-radius` (issue #14, docs/inventory.md): the client
 * inventory through the service the server and the admin API use (createClientInventoryFor), on
 * the store the configuration names, with the configuration's governance (its file rules and the
 * stored ones) deciding state and tier, and the operating system user as actor. `--json` prints
 * the service's own objects (camelCase, times in milliseconds). Refusals (a filter that cannot be
 * read, an unknown client or user, an operator field too long) are usage errors: exit 2.
 */
export async function clientInventoryCommand(
  store: Store,
  config: GatehouseConfig,
  args: readonly string[],
  flags: InventoryFlags,
): Promise<void> {
  const [action, clientId, ...extra] = args;
  if (extra.length > 0) throw new UsageError(USAGE);
  const inventory = inventoryOf(store, config);
  try {
    switch (action) {
      case 'list':
        if (clientId !== undefined) throw new UsageError(USAGE);
        return await list(inventory, flags);
      case 'show':
        if (clientId === undefined) throw new UsageError(USAGE);
        return await show(inventory, clientId, flags.json);
      case 'set-owner':
        if (clientId === undefined) throw new UsageError(USAGE);
        return await setOwner(inventory, clientId, flags);
      case 'blast-radius':
        return await blastRadius(inventory, targetOf(clientId, flags), flags);
      default:
        throw new UsageError(USAGE);
    }
  } catch (error) {
    // The service's refusals say what to fix (docs/errors.md, "Client inventory").
    if (isOAuthError(error)) throw new UsageError(error.description ?? error.reason ?? error.error);
    throw error;
  }
}

/** The inventory service as the server builds it, for the commands that use a part of it (connections.ts). */
export function inventoryOf(store: Store, config: GatehouseConfig): ClientInventory {
  try {
    return createClientInventoryFor(
      { ...serverSettings(config, resolveIssuer(config, config.port)), store },
      { lifecycle: cliLifecycle(store), audit: (event) => store.audit.append({ at: Date.now(), ...event }) },
    );
  } catch (error) {
    // A setting the profile refuses: said as a configuration error, exit 2, as `serve` does.
    throw error instanceof Error && !(error instanceof ConfigError) ? new ConfigError(error.message) : error;
  }
}

/** Every page, printed as it comes: the default columns of the old list first, then the inventory's. */
async function list(inventory: ClientInventory, flags: InventoryFlags): Promise<void> {
  const idleDays = flags.idleDays === undefined ? undefined : wholeDays(flags.idleDays);
  const entries: InventoryEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await inventory.list({
      kind: flags.kind,
      state: flags.state,
      tier: flags.tier,
      domain: flags.domain,
      owner: flags.owner,
      label: flags.labels?.at(-1),
      idleDays,
      installationsOf: flags.installationsOf,
      limit: MAX_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (flags.json) entries.push(...page.entries);
    else for (const entry of page.entries) say(listLine(entry));
    cursor = page.next;
  } while (cursor !== undefined);
  if (flags.json) say(JSON.stringify(entries, null, 2));
}

function listLine(entry: InventoryEntry): string {
  return [
    entry.clientId,
    entry.kind,
    entry.tokenEndpointAuthMethod,
    entry.clientName ?? '',
    entry.state,
    entry.tier,
    entry.operator?.owner ?? '-',
    entry.lastSeenAt === undefined ? 'never seen' : iso(entry.lastSeenAt),
  ].join('\t');
}

async function show(inventory: ClientInventory, clientId: string, json: boolean): Promise<void> {
  const detail = await inventory.show(clientId);
  if (detail === undefined) throw new UsageError(`no client ${clientId} in the inventory`);
  if (json) return say(JSON.stringify(detail, null, 2));
  for (const [label, value] of showLines(detail)) say(`${label.padEnd(11)}${value}`);
}

function showLines(detail: InventoryDetail): [string, string][] {
  const { operator, reach } = detail;
  const name =
    detail.clientName === undefined
      ? '-'
      : `${detail.clientName}${detail.clientNameSource === 'self-asserted' ? ' (self-asserted)' : ''}`;
  const fields = operator === undefined ? [] : operatorWords(operator);
  const seen = (at: number | undefined) => (at === undefined ? '-' : iso(at));
  const lines: [string, string][] = [
    ['client', detail.clientId],
    ['kind', `${detail.kind}, authenticates with ${detail.tokenEndpointAuthMethod}`],
    ['name', name],
    ['owning', detail.owningHosts.join(' ') || '-'],
    ['software', detail.softwareId ?? '-'],
    ...sharedLines(detail),
    ['operator', fields.length === 0 ? '-' : fields.join('  ')],
    ['contacts', detail.contacts.join(' ') || '-'],
    ['state', detail.state],
    ['tier', detail.tier],
    ...detail.reasons.map((reason, index): [string, string] => [index === 0 ? 'why' : '', reason]),
    ['recorded', iso(detail.createdAt)],
    ['first seen', seen(detail.firstSeenAt)],
    [
      'last seen',
      `${seen(detail.lastSeenAt)} (authorization ${seen(detail.lastAuthorizationAt)}, token ${seen(detail.lastTokenAt)}, refresh ${seen(detail.lastRefreshAt)})`,
    ],
    ...detail.redirectUris.map((uri, index): [string, string] => [index === 0 ? 'redirects' : '', uri]),
    [
      'keys',
      [
        ...detail.keyThumbprints,
        ...(detail.jwksUri === undefined ? [] : [`jwks_uri ${detail.jwksUri}`]),
      ].join(' ') || '-',
    ],
    ...documentLines(detail),
    [
      'reach',
      `${count(reach.usersWithLiveGrants, 'user')} with live grants, ${count(reach.installations, 'installation')}, ` +
        `${count(reach.grants, 'grant')}, ${count(reach.liveFamilies, 'live session')}`,
    ],
    [
      'tokens',
      `${reach.tokensIssuedLast24Hours} issued in 24 hours, ${reach.tokensIssuedLast7Days} in 7 days; last ${seen(reach.lastTokenAt)}`,
    ],
  ];
  return lines;
}

/** A shared registration's installation registrations, or an installation's shared registration (decision 0046). */
function sharedLines(detail: InventoryDetail): [string, string][] {
  if (detail.sharedRegistration !== undefined)
    return [['shared', `an installation of ${detail.sharedRegistration}`]];
  const installations = detail.installationRegistrations;
  if (installations === undefined) return [];
  const more = installations.count - installations.clientIds.length;
  return [
    [
      'shared',
      `recognised registration with ${count(installations.count, 'installation registration')}` +
        (more > 0 ? ` (all: clients list --installations-of ${detail.clientId})` : ''),
    ],
    ...installations.clientIds.map((id): [string, string] => ['', id]),
  ];
}

/** A document client's last fetch and freshness (docs/document-history.md, docs/cimd.md). */
function documentLines(detail: InventoryDetail): [string, string][] {
  const state = detail.document;
  if (state === undefined) return [];
  const fetch = state.lastFetch;
  const lines: [string, string][] = [
    [
      'last fetch',
      fetch === undefined
        ? '-'
        : `${iso(fetch.at)} ${fetch.outcome}${fetch.reason === undefined ? '' : ` (${fetch.reason})`} in ${fetch.durationMs} ms`,
    ],
    [
      'freshness',
      [
        state.freshUntil === undefined ? 'not cached' : `fresh until ${iso(state.freshUntil)}`,
        ...(state.etag === undefined ? [] : [`etag ${state.etag}`]),
        ...(state.lastModified === undefined ? [] : [`last-modified ${state.lastModified}`]),
      ].join(', '),
    ],
  ];
  if (state.stale !== undefined)
    lines.push([
      'stale',
      `served since ${iso(state.stale.since)} until ${iso(state.stale.until)}: the origin fails (${state.stale.reason})`,
    ]);
  if (state.evictedAt !== undefined) lines.push(['evicted', iso(state.evictedAt)]);
  return lines;
}

async function setOwner(inventory: ClientInventory, clientId: string, flags: InventoryFlags): Promise<void> {
  // '' clears a field: a shell cannot pass null.
  const cleared = (value: string | undefined) => (value === '' ? null : value);
  const change: OperatorFieldsChange = defined({
    owner: cleared(flags.owner),
    team: cleared(flags.team),
    contact: cleared(flags.contact),
    note: cleared(flags.note),
    labels: flags.labels?.filter((label) => label !== ''),
  });
  if (Object.keys(change).length === 0)
    throw new UsageError('set-owner needs at least one of --owner, --team, --contact, --label, --note');
  const result = await inventory.setOperatorFields(clientId, change, { actor: cliActor() });
  if (flags.json) return say(JSON.stringify(result, null, 2));
  if (!result.changed) return say(`${clientId}: nothing changed`);
  const words = result.after === undefined ? [] : operatorWords(result.after);
  say(`${clientId}: ${words.length === 0 ? 'operator fields cleared' : words.join('  ')}`);
}

function targetOf(clientId: string | undefined, flags: InventoryFlags): ReachTarget {
  const named = defined({ clientId, domain: flags.domain, softwareId: flags.softwareId, user: flags.user });
  if (Object.keys(named).length !== 1)
    throw new UsageError('blast-radius takes exactly one of <client_id>, --domain, --software-id, --user');
  return named as ReachTarget;
}

async function blastRadius(
  inventory: ClientInventory,
  target: ReachTarget,
  flags: InventoryFlags,
): Promise<void> {
  if (!flags.revoke) {
    const radius = await inventory.reach(target);
    if (flags.json) return say(JSON.stringify(radius, null, 2));
    for (const line of radiusLines(radius)) say(line);
    return say('dry run: nothing was revoked (--revoke revokes every grant and session above)');
  }
  const revoked = await inventory.revokeReach(target, { actor: cliActor() });
  if (flags.json) return say(JSON.stringify(revoked, null, 2));
  for (const line of radiusLines(revoked.before)) say(line);
  // A user's reach is their grants; the tokens clients hold for themselves end only with a client's.
  const grants = count(revoked.grantsRevoked, 'grant');
  const families = count(revoked.familiesRevoked, 'token family', 'token families');
  say(
    ('user' in target
      ? `revoked ${grants} and ${families}; `
      : `revoked ${grants}, ${families} and every token its clients hold for themselves issued until now; `) +
      `now ${count(revoked.after.grants, 'live grant')} and ${count(revoked.after.liveFamilies, 'live session')}`,
  );
}

function radiusLines(radius: BlastRadius): string[] {
  const { target } = radius;
  const of =
    'clientId' in target
      ? `client ${target.clientId}`
      : 'domain' in target
        ? `domain ${target.domain} and its subdomains`
        : 'softwareId' in target
          ? `software_id ${target.softwareId}`
          : `user ${radius.username ?? target.user}${radius.userId === undefined ? '' : ` (${radius.userId})`}`;
  const held = (values: BlastRadius['scopes']) =>
    values.map(({ value, grants }) => `${value} (${count(grants, 'grant')})`).join(', ') || '-';
  return [
    `blast radius of ${of}`,
    `clients                   ${radius.clients.length}${radius.clients.length === 0 ? '' : `: ${radius.clients.join(' ')}`}`,
    `users with live grants    ${radius.usersWithLiveGrants}`,
    `installations             ${radius.installations}`,
    `grants                    ${radius.grants}`,
    `live sessions             ${radius.liveFamilies}`,
    `access tokens, last hour  ${radius.accessTokensLastHour} (may still be valid until they expire)`,
    `last used                 ${radius.lastUsedAt === undefined ? '-' : iso(radius.lastUsedAt)}`,
    `resources                 ${held(radius.resources)}`,
    `scopes                    ${held(radius.scopes)}`,
  ];
}

function operatorWords(fields: NonNullable<InventoryEntry['operator']>): string[] {
  return [
    ...(fields.owner === undefined ? [] : [`owner=${fields.owner}`]),
    ...(fields.team === undefined ? [] : [`team=${fields.team}`]),
    ...(fields.contact === undefined ? [] : [`contact=${fields.contact}`]),
    ...(fields.labels.length === 0 ? [] : [`labels=${fields.labels.join(',')}`]),
    ...(fields.note === undefined ? [] : [`note=${fields.note}`]),
  ];
}

function wholeDays(value: string): number {
  if (!/^\d{1,6}$/.test(value))
    throw new UsageError(`--idle-days takes a whole number of days, not ${value}`);
  return Number(value);
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

/** The object without its unset members. */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
