/**
 * Changes to clients that every instance must act on: a client removed (and, with governance,
 * blocked or re-tiered) on one instance, or by the CLI against the same database, must stop being
 * answered from the memory of every other instance within seconds. Each instance polls the feed
 * (clients/client-change-listener.ts) and evicts what it holds for the clients named.
 */
/**
 * `removed` and `updated` name one client; `governance` means the stored rules, holds or a
 * client's approval changed (its clientId is the selector or client_id concerned, for the log):
 * every instance reloads what governance holds in memory.
 */
export type ClientChangeKind = 'removed' | 'updated' | 'governance';

export interface ClientChange {
  /** Assigned by the store; increases with every publish. */
  sequence: number;
  clientId: string;
  kind: ClientChangeKind;
  /** When it was published (epoch ms, the publisher's clock). */
  at: number;
}

/**
 * Contract:
 * - `publish` appends one change and returns its sequence, greater than every sequence published
 *   before it returned (across instances).
 * - `since(sequence, limit)` returns up to `limit` changes with a greater sequence, in ascending
 *   order. A change whose transaction commits late may appear after a greater sequence was already
 *   read; readers re-read a short window to catch it (the listener does).
 * - `latest` is the greatest sequence published, 0 when none.
 * - Changes are kept at least a day; `Store.purgeExpired` removes older ones.
 */
export interface ClientChangeFeed {
  publish(change: Omit<ClientChange, 'sequence'>): Promise<number>;
  since(sequence: number, limit: number): Promise<ClientChange[]>;
  latest(): Promise<number>;
}

/** How long published changes are kept before `purgeExpired` removes them. */
export const CLIENT_CHANGE_RETENTION_MS = 24 * 60 * 60 * 1000;
