import { readFileSync } from 'node:fs';
import { isOAuthError } from '@gatehouse/core';
import { defaultReaperPolicy, prepareStaticClient, reapRegistrations, type Store } from '@gatehouse/server';
import { UsageError } from '../usage-error.ts';
import { positiveInteger } from './registration-tokens.ts';

/**
 * `gatehouse clients add --file <client.json>`, `clients list`, `clients remove <client_id>`,
 * `clients reap [--never-used-seconds N] [--idle-seconds N]`.
 */
export async function clientsCommand(
  store: Store,
  args: readonly string[],
  flags: {
    file?: string | undefined;
    neverUsedSeconds?: string | undefined;
    idleSeconds?: string | undefined;
  },
): Promise<void> {
  const [action, clientId] = args;
  if (action === 'reap' && clientId === undefined) {
    // The same pass `serve` runs periodically (registration-hygiene.ts), on demand.
    const reaped = await reapRegistrations(
      {
        store,
        clock: Date.now,
        audit: (event) =>
          store.audit.append({ at: Date.now(), ...event, detail: { ...event.detail, by: 'cli' } }),
      },
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
    for (const client of await store.clients.list()) {
      const m = client.metadata;
      process.stdout.write(
        `${client.clientId}\t${client.kind}\t${m.token_endpoint_auth_method}\t${m.client_name ?? ''}\n`,
      );
    }
    return;
  }
  if (action === 'remove' && clientId !== undefined) {
    const now = Date.now();
    const revoked = await store.tokenFamilies.revokeByClient(clientId, 'client_removed', now);
    if (!(await store.clients.delete(clientId))) throw new UsageError(`no client ${clientId}`);
    await store.audit.append({
      at: now,
      type: 'client.removed',
      clientId,
      detail: { by: 'cli', families_revoked: revoked },
    });
    process.stdout.write(
      `removed client ${clientId}; revoked ${revoked} token famil${revoked === 1 ? 'y' : 'ies'}\n`,
    );
    return;
  }
  if (action !== 'add' || flags.file === undefined) {
    throw new UsageError(
      'usage: gatehouse clients add --file <client.json> | clients list | clients remove <client_id>' +
        ' | clients reap [--never-used-seconds N] [--idle-seconds N]',
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
