import { rotateSigningKey, type Store } from '@gatehouse-oauth/server';
import { UsageError } from '../usage-error.ts';

/**
 * `gatehouse keys rotate` adds a new signing key; running servers sign with it within a minute
 * (their key ring re-reads the store) and keep publishing the old one until its tokens are gone.
 */
export async function keysCommand(store: Store, args: readonly string[]): Promise<void> {
  const [action] = args;
  if (action === 'list') {
    for (const key of await store.signingKeys.list()) {
      const state =
        key.retiredAt === undefined ? 'active' : `retired ${new Date(key.retiredAt).toISOString()}`;
      process.stdout.write(`${key.kid}\t${key.alg}\t${new Date(key.createdAt).toISOString()}\t${state}\n`);
    }
    return;
  }
  if (action !== 'rotate') throw new UsageError('usage: gatehouse keys rotate | keys list');
  const key = await rotateSigningKey(store.signingKeys, Date.now());
  await store.audit.append({ at: Date.now(), type: 'key.rotated', detail: { kid: key.kid, by: 'cli' } });
  process.stdout.write(
    `new signing key ${key.kid}; previous keys retired and still published for verification\n`,
  );
}
