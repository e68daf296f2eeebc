import { resolveServerOptions } from '../config/resolve-options.ts';
import { createClientGovernance } from '../governance/client-governance.ts';
import { createMetrics } from '../metrics.ts';
import type { AuthorizationServerOptions } from '../options.ts';
import { type ClientInventory, type ClientInventoryDeps, createClientInventory } from './client-inventory.ts';

/**
 * The inventory for a program that holds the options it would start the server with but runs no
 * server (the CLI beside a running one): the options resolved the server's way, governance reading
 * the stored rules and holds from `given.store` (decided, never counted: its own registry), and
 * the lifecycle and audit the caller acts with.
 */
export function createClientInventoryFor(
  given: AuthorizationServerOptions,
  parts: Pick<ClientInventoryDeps, 'lifecycle' | 'audit'>,
): ClientInventory {
  const options = resolveServerOptions(given);
  return createClientInventory({
    store: options.store,
    governance: createClientGovernance({
      store: options.store.governance,
      config: options.governance,
      metrics: createMetrics(),
    }),
    lifecycle: parts.lifecycle,
    audit: parts.audit,
    clock: options.clock ?? Date.now,
  });
}
