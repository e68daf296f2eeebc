import { LRUCache } from 'lru-cache';
import type { ServerContext } from '../context.ts';
import type { ActivityKind } from '../store/store.ts';
import { inventoryIdOf } from './inventory-entry.ts';

/**
 * When each client was first and last seen (issue #14): its last authorization request, code
 * redeemed and refresh, for the inventory's "last seen" and "idle for". The request paths write it
 * at most once an hour per client and kind, as `lastUsedAt` is written for the reaper
 * (../tokens/client-use.ts): an hour is what "idle for N days" needs, and the write is not one
 * more commit per request (SQLite: the group commit's turn; it is skipped an hour long after).
 * The AT Protocol loopback client_ids are filed under the inventory's one loopback entry.
 */
export const ACTIVITY_RESOLUTION_MS = 60 * 60 * 1000;

/** Remembered writes; forgetting one only costs one extra write (decision 0023: lru-cache). */
const MAX_REMEMBERED = 10_000;

/** Last write per client and kind, per store: several servers in one process may use different stores. */
const lastWrites = new WeakMap<object, LRUCache<string, number>>();

export async function recordClientActivity(
  ctx: Pick<ServerContext, 'store' | 'logger'>,
  clientId: string,
  kind: ActivityKind,
  now: number,
): Promise<void> {
  const id = inventoryIdOf(clientId);
  let writes = lastWrites.get(ctx.store);
  if (writes === undefined) {
    writes = new LRUCache({ max: MAX_REMEMBERED });
    lastWrites.set(ctx.store, writes);
  }
  const key = `${kind} ${id}`;
  const last = writes.peek(key);
  if (last !== undefined && now >= last && now - last < ACTIVITY_RESOLUTION_MS) return;
  // Marked before the write: concurrent requests of the same client do not each write.
  writes.set(key, now);
  try {
    await ctx.store.inventory.recordActivity(id, kind, now);
  } catch (error) {
    // Bookkeeping must not fail a request that has succeeded; the next one an hour on retries.
    writes.delete(key);
    ctx.logger.warn({ err: error, client_id: clientId }, 'could not record client activity');
  }
}
