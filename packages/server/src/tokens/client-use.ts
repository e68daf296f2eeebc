import { LRUCache } from 'lru-cache';
import type { ServerContext } from '../context.ts';
import type { ClientRecord } from '../store/store.ts';

/**
 * How often a DCR client's `lastUsedAt` is written. The reaper (../registration/reaper.ts) works in
 * days, so an hour of resolution loses nothing, and the token hot path writes at most once an hour
 * per client instead of once per token.
 */
export const CLIENT_USE_RESOLUTION_MS = 60 * 60 * 1000;

/**
 * Remembered touches older than the resolution no longer suppress a write; the cap bounds the
 * memory (lru-cache, decision 0023: the least recently touched client goes first). Forgetting an
 * entry only costs one extra write.
 */
const MAX_REMEMBERED = 10_000;

/** Last touch per client, per store: several servers in one process may use different stores. */
const lastTouches = new WeakMap<object, LRUCache<string, number>>();

/**
 * Records that a DCR or CIMD client obtained tokens (ClientRecord.lastUsedAt): the reaper keeps a
 * used registration, and the background revalidation keeps the document of a used CIMD client fresh
 * (cimd/background-revalidation.ts). Called by every grant that issues tokens. Static clients are
 * neither reaped nor fetched, and are skipped.
 */
export async function recordClientUse(
  ctx: Pick<ServerContext, 'store' | 'logger'>,
  client: ClientRecord,
  now: number,
): Promise<void> {
  if (client.kind === 'static') return;
  // The record the resolver loaded already says whether a write is due: this covers the first use
  // after a restart and the other instances sharing the store.
  if (client.lastUsedAt !== undefined && now - client.lastUsedAt < CLIENT_USE_RESOLUTION_MS) return;

  let touches = lastTouches.get(ctx.store);
  if (touches === undefined) {
    touches = new LRUCache({ max: MAX_REMEMBERED });
    lastTouches.set(ctx.store, touches);
  }
  const last = touches.peek(client.clientId);
  if (last !== undefined && now - last < CLIENT_USE_RESOLUTION_MS && now >= last) return;

  try {
    await ctx.store.clients.touch(client.clientId, now);
  } catch (error) {
    // Bookkeeping must not fail a token request that has already succeeded; the next token retries.
    ctx.logger.warn({ err: error, client_id: client.clientId }, 'could not record client use');
    return;
  }
  touches.set(client.clientId, now);
}
