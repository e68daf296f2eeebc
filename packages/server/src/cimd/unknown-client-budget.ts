/**
 * The admission budget for unknown document client_ids (issue #18, finding 10; decision 0045).
 *
 * A client_id this instance holds nothing for (no cached document, no fetch under way, not
 * resolved here recently) costs the server work that a known client does not: the resolver chain,
 * perhaps a fetch, certainly a refusal when it is a flood. That work waits here for a slot, so
 * that it never competes with known clients for more than a few slots at a time:
 *
 * - **keyed by URL**: requests for a URL already waiting or running join it, and all of them are
 *   let through together, so a stampede on one new client is still one fetch (the cache's
 *   single flight) and counts once against the budgets;
 * - **bounded**: at most `maxPending` distinct URLs waiting or running in all and `maxPendingPerHost`
 *   per host; beyond that an offer is refused at once (no state is created for it);
 * - **few at a time**: at most `concurrency()` URLs run at once (the caller lowers it while the
 *   event loop is busy), and a finished URL gives its slot back only on the next event-loop turn
 *   (`nextTurn`), after the I/O of that turn (the known clients' requests) has been handled;
 * - **FIFO**, and a URL that waited longer than `maxWaitMs` is refused (`expire`), so a waiting
 *   request's latency is bounded too.
 *
 * Pure bookkeeping: no timers of its own and no clock reads; the caller passes `now` and the
 * turn scheduler, so tests drive it step by step.
 */
export type UnknownClientRefusal = 'global' | 'host';

export interface UnknownClientBudgetOptions {
  maxPending: number;
  maxPendingPerHost: number;
  /** How many URLs may run at once, asked whenever a slot could be granted. */
  concurrency: () => number;
  /** Runs `release` on the next event-loop turn (setImmediate; tests run it by hand). */
  nextTurn: (release: () => void) => void;
}

/** What a waiting request is told: go ahead, or refused because it waited too long. */
export interface Waiter {
  admit(): void;
  expire(): void;
}

interface Pending {
  host: string;
  since: number;
  waiters: Waiter[];
  /** Admitted requests of this URL not yet done; undefined while the URL waits for a slot. */
  active: number | undefined;
}

export interface UnknownClientBudget {
  /**
   * Offers one request for `url`. Undefined: it waits (or was admitted at once: `waiter.admit` has
   * been called); otherwise the budget it would exceed, and nothing was recorded.
   */
  offer(url: string, host: string, now: number, waiter: Waiter): UnknownClientRefusal | undefined;
  /** One admitted request of `url` is finished; the URL's slot is given back on the next turn. */
  done(url: string): void;
  /** Refuses every URL that has waited at least `maxWaitMs`; how many requests were refused. */
  expire(now: number, maxWaitMs: number): number;
  /** Distinct URLs waiting, and running. */
  stats(): { waiting: number; running: number };
}

export function createUnknownClientBudget(options: UnknownClientBudgetOptions): UnknownClientBudget {
  const pending = new Map<string, Pending>();
  // Insertion order is arrival order: the FIFO of URLs still waiting for a slot.
  const waiting = new Set<string>();
  const perHost = new Map<string, number>();
  let running = 0;

  const countHost = (host: string, delta: number): void => {
    const count = (perHost.get(host) ?? 0) + delta;
    if (count === 0) perHost.delete(host);
    else perHost.set(host, count);
  };

  function pump(): void {
    for (const url of waiting) {
      if (running >= options.concurrency()) return;
      waiting.delete(url);
      const entry = pending.get(url)!;
      running++;
      const admitted = entry.waiters;
      entry.waiters = [];
      entry.active = admitted.length;
      for (const waiter of admitted) waiter.admit();
    }
  }

  function remove(url: string, entry: Pending): void {
    pending.delete(url);
    countHost(entry.host, -1);
  }

  return {
    offer(url, host, now, waiter) {
      const entry = pending.get(url);
      if (entry !== undefined) {
        if (entry.active === undefined) entry.waiters.push(waiter);
        else {
          // Running already: join it now, so a stampede meets the cache's single flight.
          entry.active++;
          waiter.admit();
        }
        return undefined;
      }
      if (pending.size >= options.maxPending) return 'global';
      if ((perHost.get(host) ?? 0) >= options.maxPendingPerHost) return 'host';
      pending.set(url, { host, since: now, waiters: [waiter], active: undefined });
      countHost(host, 1);
      waiting.add(url);
      pump();
      return undefined;
    },

    done(url) {
      const entry = pending.get(url);
      if (entry?.active === undefined) return;
      entry.active--;
      if (entry.active > 0) return;
      remove(url, entry);
      options.nextTurn(() => {
        running--;
        pump();
      });
    },

    expire(now, maxWaitMs) {
      let refused = 0;
      for (const url of waiting) {
        const entry = pending.get(url)!;
        if (now - entry.since < maxWaitMs) break; // FIFO: the rest arrived later
        waiting.delete(url);
        remove(url, entry);
        for (const waiter of entry.waiters) waiter.expire();
        refused += entry.waiters.length;
      }
      return refused;
    },

    stats: () => ({ waiting: waiting.size, running }),
  };
}
