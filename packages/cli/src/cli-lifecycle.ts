import { userInfo } from 'node:os';
import { type ClientLifecycle, createClientLifecycle, type Store } from '@gatehouse-oauth/server';

/**
 * The client lifecycle for commands that run beside the server, against the same store: the same
 * service `gatehouse serve` uses, so a removal from the command line cascades exactly as one made
 * through the server does, and every running instance forgets the client through the change feed.
 * The CLI process holds no client in memory, so there is nothing of its own to forget.
 */
export function cliLifecycle(store: Store): ClientLifecycle {
  return createClientLifecycle({
    store,
    clock: Date.now,
    audit: (event) => store.audit.append({ at: Date.now(), ...event }),
  });
}

/** Who ran the command, for the audit trail: `cli:<os user>`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // No passwd entry for this uid (some containers): still say it came from the command line.
    return 'cli';
  }
}
