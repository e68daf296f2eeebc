import { readFileSync } from 'node:fs';
import { isOAuthError } from '@gatehouse-oauth/core';
import {
  type ClientRecord,
  defaultReaperPolicy,
  prepareStaticClient,
  reapRegistrations,
  type Store,
} from '@gatehouse-oauth/server';
import { cliActor, cliLifecycle } from '../cli-lifecycle.ts';
import { UsageError } from '../usage-error.ts';
import {
  type ClientGovernanceFlags,
  clientGovernanceCommand,
  GOVERNANCE_ACTIONS,
} from './client-governance.ts';
import { clientHistoryCommand } from './client-history.ts';
import { positiveInteger } from './registration-tokens.ts';

/**
 * `gatehouse clients add --file <client.json>`, `clients list [--json]`, `clients remove <client_id>`,
 * `clients reap [--never-used-seconds N] [--idle-seconds N]`; approve, block, unblock, pending and
 * rules are governance's (client-governance.ts).
 */
export async function clientsCommand(
  store: Store,
  args: readonly string[],
  flags: ClientGovernanceFlags & {
    file?: string | undefined;
    neverUsedSeconds?: string | undefined;
    idleSeconds?: string | undefined;
    diff?: string | undefined;
    limit?: string | undefined;
    before?: string | undefined;
  },
): Promise<void> {
  const [action, clientId] = args;
  if (action !== undefined && GOVERNANCE_ACTIONS.includes(action))
    return clientGovernanceCommand(store, args, flags);
  if (action === 'history') return clientHistoryCommand(store, args, flags);
  if (action === 'reap' && clientId === undefined) {
    // The same pass `serve` runs periodically (registration-hygiene.ts), on demand.
    const reaped = await reapRegistrations(
      { store, clock: Date.now, lifecycle: cliLifecycle(store), actor: cliActor() },
      {
        neverUsedSeconds:
          flags.neverUsedSeconds === undefined
            ? defaultReaperPolicy.neverUsedSeconds
            : positiveInteger('--never-used-seconds', flags.neverUsedSeconds),
        idleSeconds:
          flags.idleSeconds === undefined
            ? defaultReaperPolicy.idleSeconds
            : positiveInteger('--idle-seconds', flags.idleSeconds),
      },
    );
    process.stdout.write(`reaped ${reaped} stale registration${reaped === 1 ? '' : 's'}\n`);
    return;
  }
  if (action === 'list') {
    const clients = await store.clients.list();
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(clients.map(clientJson), null, 2)}\n`);
      return;
    }
    for (const client of clients) {
      const m = client.metadata;
      process.stdout.write(
        `${client.clientId}\t${client.kind}\t${m.token_endpoint_auth_method}\t${m.client_name ?? ''}\n`,
      );
    }
    return;
  }
  if (action === 'remove' && clientId !== undefined) {
    // Everything the server holds for the client goes; running instances forget it within a second.
    const removed = await cliLifecycle(store).remove(clientId, { actor: cliActor(), reason: 'operator' });
    if (!removed.existed && removed.grantsRevoked + removed.familiesRevoked === 0) {
      throw new UsageError(`no client ${clientId}`);
    }
    process.stdout.write(
      `removed client ${clientId}; revoked ${removed.grantsRevoked} grant${removed.grantsRevoked === 1 ? '' : 's'}` +
        ` and ${removed.familiesRevoked} token famil${removed.familiesRevoked === 1 ? 'y' : 'ies'}\n`,
    );
    return;
  }
  if (action !== 'add' || flags.file === undefined) {
    throw new UsageError(
      'usage: gatehouse clients add --file <client.json> | clients list [--json] | clients remove <client_id>' +
        ' | clients reap [--never-used-seconds N] [--idle-seconds N]' +
        ' | clients approve|block|unblock <client_id|rule> | clients pending|rules [--json]' +
        ' | clients history <client_id> [--diff <from> <to>] [--json]',
    );
  }
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(flags.file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${flags.file} as JSON: ${(error as Error).message}`);
  }
  let prepared: ReturnType<typeof prepareStaticClient>;
  try {
    prepared = prepareStaticClient(input, Date.now());
  } catch (error) {
    if (isOAuthError(error))
      throw new UsageError(`${flags.file}: ${error.error}: ${error.description ?? error.reason}`);
    throw error;
  }
  const { record, generatedSecret } = prepared;
  if ((await store.clients.get(record.clientId)) !== undefined) {
    throw new UsageError(`client ${record.clientId} already exists; remove it first to replace it`);
  }
  await store.clients.put(record);
  await store.audit.append({
    at: Date.now(),
    type: 'client.added',
    clientId: record.clientId,
    detail: { kind: 'static', by: 'cli' },
  });
  process.stdout.write(`added client ${record.clientId} (${record.metadata.token_endpoint_auth_method})\n`);
  if (generatedSecret !== undefined) {
    process.stdout.write(`client_secret: ${generatedSecret}\n(shown once; only its digest is stored)\n`);
  }
}

/** `clients list --json`: what the human list shows, and when; never a secret's digest. */
function clientJson(client: ClientRecord) {
  return {
    clientId: client.clientId,
    kind: client.kind,
    tokenEndpointAuthMethod: client.metadata.token_endpoint_auth_method,
    ...(client.metadata.client_name === undefined ? {} : { clientName: client.metadata.client_name }),
    createdAt: client.createdAt,
    ...(client.lastUsedAt === undefined ? {} : { lastUsedAt: client.lastUsedAt }),
  };
}
