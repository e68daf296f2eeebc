import { readFileSync } from 'node:fs';
import { isOAuthError } from '@gatehouse/core';
import { prepareStaticClient, type Store } from '@gatehouse/server';
import { UsageError } from '../usage-error.ts';

/** `gatehouse clients add --file <client.json>`, `clients list`, `clients remove <client_id>`. */
export async function clientsCommand(
  store: Store,
  args: readonly string[],
  flags: { file?: string | undefined },
): Promise<void> {
  const [action, clientId] = args;
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
      'usage: gatehouse clients add --file <client.json> | clients list | clients remove <client_id>',
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
