/**
 * What this process holds in memory about clients (the CIMD resolver's known clients and cached
 * documents today; governance decisions later) registers here how to forget one client. The client
 * lifecycle forgets a removed client at once on the instance that removed it, and the change
 * listener does it on every other instance, so no cache ever answers for a client that is gone.
 */
export interface ClientMemory {
  /** Registers a holder; `forget` must be cheap and must not throw. */
  hold(forget: (clientId: string) => void): void;
  forget(clientId: string): void;
}

export function createClientMemory(): ClientMemory {
  const holders: ((clientId: string) => void)[] = [];
  return {
    hold: (forget) => {
      holders.push(forget);
    },
    forget: (clientId) => {
      for (const forget of holders) forget(clientId);
    },
  };
}
