import type { LRUCache } from 'lru-cache';

/**
 * Makes room for `key` the way these caches always have: when the cache is full and `key` is new,
 * the expired entries go first, so lru-cache's own eviction on the next `set` (the least recently
 * used entry) only drops a live entry when every entry is live. Expiry is kept in the values and
 * compared with the caller's `now`, not lru-cache's TTL: the callers pass time in (tests inject it),
 * and lru-cache reads its own clock. O(size), only when full, as before.
 */
export function dropExpiredWhenFull<K extends {}, V extends {}>(
  cache: LRUCache<K, V>,
  key: K,
  isExpired: (value: V) => boolean,
): void {
  if (cache.size < cache.max || cache.has(key)) return;
  for (const [entryKey, value] of [...cache.entries()]) if (isExpired(value)) cache.delete(entryKey);
}
