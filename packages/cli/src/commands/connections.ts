import { isOAuthError } from '@gatehouse-oauth/core';
import type { ClientConnections, ConnectionsOf, ConnectionView, Store } from '@gatehouse-oauth/server';
import { cliActor } from '../cli-lifecycle.ts';
import type { GatehouseConfig } from '../config.ts';
import { UsageError } from '../usage-error.ts';
import { inventoryOf } from './client-inventory.ts';

const USAGE =
  'usage: gatehouse users connections <name> [--json] | clients connections <client_id> [--json]' +
  ' | connections revoke <grant_id> [--json] | connections revoke-installation <grant_id> <installation-key> [--json]';

/** Which command line reached this file: `users connections`, `clients connections` or `connections …`. */
export type ConnectionsCommandWord = 'users' | 'clients' | 'connections';

/**
 * `gatehouse users connections`, `clients connections`, `connections revoke|revoke-installation`
 * (docs/inventory.md, "Connections"; decision 0044): the connections service the admin API and the
 * console call (`inventory.connections`), on the store the configuration names, so a revocation
 * here goes through the one client lifecycle and is audited `grant.revoked` or
 * `installation.revoked` with the operating system user as actor. `--json` prints the service's own
 * objects (camelCase, times in milliseconds), as the other inventory commands do. Its refusals (no
 * such user, client, live grant or installation) are usage errors: the message, exit 2.
 */
export async function connectionsCommand(
  store: Store,
  config: GatehouseConfig,
  word: ConnectionsCommandWord,
  args: readonly string[],
  flags: { json: boolean },
): Promise<void> {
  const connections = inventoryOf(store, config).connections;
  try {
    return await dispatch(connections, word, args, flags.json);
  } catch (error) {
    // The service's refusals say what to fix (docs/errors.md, "Client inventory").
    if (isOAuthError(error)) throw new UsageError(error.description ?? error.reason ?? error.error);
    throw error;
  }
}

async function dispatch(
  connections: ClientConnections,
  word: ConnectionsCommandWord,
  args: readonly string[],
  json: boolean,
): Promise<void> {
  const [action, first, second, ...extra] = args;
  if (first === undefined || extra.length > 0) throw new UsageError(USAGE);
  if (word === 'users' && action === 'connections' && second === undefined)
    return listed(await connections.ofUser(first), json);
  if (word === 'clients' && action === 'connections' && second === undefined)
    return listed(await connections.ofClient(first), json);
  if (word === 'connections' && action === 'revoke' && second === undefined) {
    const view = await connections.revoke(first, { actor: cliActor() });
    if (json) return say(JSON.stringify(view, null, 2));
    return say(
      `revoked connection ${view.grantId} (${view.username ?? view.userId}, ${view.clientId}); ` +
        `ended ${count(view.liveSessions, 'live session')}`,
    );
  }
  if (word === 'connections' && action === 'revoke-installation' && second !== undefined) {
    const done = await connections.revokeInstallation(first, second, { actor: cliActor() });
    if (json) return say(JSON.stringify(done, null, 2));
    return say(
      `revoked installation ${done.installation} of connection ${done.grantId}; ` +
        `ended ${count(done.familiesRevoked, 'live session')}` +
        (done.grantRevoked ? '; it was the last, so the connection is revoked too' : ''),
    );
  }
  throw new UsageError(USAGE);
}

/**
 * A heading, then per connection a tab-separated line (grant, user, client, redirect URI, scopes,
 * created, live sessions, last session) and under it one indented line per installation (key, DPoP
 * thumbprint or -, live sessions, last session): the key is what `revoke-installation` takes.
 */
function listed(found: ConnectionsOf, json: boolean): void {
  if (json) {
    say(JSON.stringify(found, null, 2));
    return;
  }
  const of =
    found.clientId !== undefined
      ? `client ${found.clientId}`
      : `user ${found.username ?? found.userId}${found.username === undefined ? '' : ` (${found.userId})`}`;
  say(`connections of ${of}: ${count(found.connections.length, 'live grant')}`);
  for (const connection of found.connections) for (const line of connectionLines(connection)) say(line);
}

function connectionLines(connection: ConnectionView): string[] {
  return [
    [
      connection.grantId,
      connection.username ?? connection.userId,
      connection.clientId,
      connection.redirectUri,
      connection.scope.join(' ') || '-',
      `created ${iso(connection.createdAt)}`,
      count(connection.liveSessions, 'live session'),
      `last ${isoOf(connection.lastSessionAt)}`,
    ].join('\t'),
    ...connection.installations.map((installation) =>
      [
        '',
        'installation',
        installation.key,
        installation.dpopJkt === undefined ? '-' : `dpop ${installation.dpopJkt}`,
        count(installation.liveSessions, 'live session'),
        `last ${isoOf(installation.lastSessionAt)}`,
      ].join('\t'),
    ),
  ];
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function isoOf(at: number | undefined): string {
  return at === undefined ? '-' : iso(at);
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
