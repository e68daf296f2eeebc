import { CLIENT_CHANGE_RETENTION_MS, type ClientChangeFeed } from '../client-change-feed.ts';
import { copy, type MemoryState } from './state.ts';

export function memoryClientChangeFeed({ clientChanges }: MemoryState): ClientChangeFeed {
  return {
    async publish(change) {
      const sequence = (clientChanges.at(-1)?.sequence ?? 0) + 1;
      clientChanges.push({ ...change, sequence });
      return sequence;
    },
    async since(sequence, limit) {
      return copy(clientChanges.filter((change) => change.sequence > sequence).slice(0, limit));
    },
    async latest() {
      return clientChanges.at(-1)?.sequence ?? 0;
    },
  };
}

/**
 * Store.purgeExpired for the feed: changes older than the retention, except the newest one, which
 * is kept whatever its age: it is what `latest` answers and what the next sequence follows.
 */
export function purgeClientChanges({ clientChanges }: MemoryState, now: number): void {
  const keptFrom = clientChanges.findIndex((change) => change.at >= now - CLIENT_CHANGE_RETENTION_MS);
  const expired = keptFrom === -1 ? clientChanges.length : keptFrom;
  clientChanges.splice(0, Math.min(expired, Math.max(clientChanges.length - 1, 0)));
}
