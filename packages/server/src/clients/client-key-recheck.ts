import type { ServerContext } from '../context.ts';
import type { ClientRecord, TokenFamilyRecord } from '../store/store.ts';
import { currentClientKeyThumbprints } from './private-key-jwt.ts';

/** What the AT-9 key re-check needs: the clients and their keys, the store, the lifecycle that revokes and audits. */
export type ClientKeyRecheckDeps = Pick<
  ServerContext,
  'clientAssertions' | 'clientLifecycle' | 'clients' | 'clock' | 'logger' | 'store'
>;

/**
 * AT-9 ("MUST revoke the session … if the key leaves the metadata, and MUST re-fetch
 * periodically"), CIMD-CHG-3. Decision 0008 binds each confidential session (token family) to the
 * RFC 7638 thumbprint of the key it started with, and refresh-token-grant.ts revokes a family whose
 * key is gone when it is next refreshed. That alone leaves the family's access tokens alive at
 * introspection until then, and a session nobody refreshes is never checked: this pass closes that.
 *
 * For every client with a live key-bound family it re-reads the client from its source (a CIMD
 * document is re-fetched, within the cache's cooldown; a jwks_uri is re-fetched, within the JWKS
 * cache's), and revokes every family whose key the client no longer publishes, or all of them when
 * the client no longer authenticates with a key (through the client lifecycle's `revokeFamily`). Failures to fetch are not evidence that a key was
 * removed: such a client is skipped and looked at again on the next pass. Every revocation is
 * audited (`token_family.revoked`, reason `client_key_removed` / `client_auth_method_changed`).
 *
 * Run by a timer in the server (`clientKeyRecheckSeconds`, on in the atproto profile) and callable on
 * demand (`server.recheckClientKeys()`). Idempotent, so several instances may run it at once.
 */
export interface ClientKeyRecheckResult {
  /** Clients that had live key-bound families and were looked at. */
  clientsChecked: number;
  /** Clients skipped because their document or keys could not be read now. */
  clientsUnreachable: number;
  /** Families revoked by this pass. */
  familiesRevoked: number;
}

/** Clients are read from the store in pages of this size. */
const PAGE_SIZE = 500;

export async function recheckClientKeys(
  ctx: ClientKeyRecheckDeps,
  now: number = ctx.clock(),
): Promise<ClientKeyRecheckResult> {
  const result: ClientKeyRecheckResult = { clientsChecked: 0, clientsUnreachable: 0, familiesRevoked: 0 };
  let after: string | undefined;
  for (;;) {
    const page = await ctx.store.clients.list(
      after === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, after },
    );
    for (const stored of page) await recheckClient(ctx, stored, now, result);
    if (page.length < PAGE_SIZE) break;
    after = page.at(-1)!.clientId;
  }
  return result;
}

async function recheckClient(
  ctx: ClientKeyRecheckDeps,
  stored: ClientRecord,
  now: number,
  result: ClientKeyRecheckResult,
): Promise<void> {
  const bound = (await ctx.store.tokenFamilies.listByClient(stored.clientId)).filter(
    (family): family is TokenFamilyRecord & { clientKeyThumbprint: string } =>
      family.clientKeyThumbprint !== undefined && family.revokedAt === undefined && family.expiresAt > now,
  );
  if (bound.length === 0) return;
  result.clientsChecked++;
  let client: ClientRecord | undefined;
  let current: ReadonlySet<string> | undefined;
  try {
    // The client as its source says now: a CIMD document is re-fetched (and a changed one recorded
    // and handled by the change policy on the way), a stored client is read again.
    client = (await ctx.clients.refresh?.(stored.clientId)) ?? (await ctx.clients.resolve(stored.clientId));
    if (client?.metadata.token_endpoint_auth_method === 'private_key_jwt') {
      current = await currentClientKeyThumbprints(client, ctx.clientAssertions, now, { fresh: true });
    }
  } catch (error) {
    result.clientsUnreachable++;
    ctx.logger.warn({ err: error, client_id: stored.clientId }, 'client key re-check: client unreachable');
    return;
  }
  if (client === undefined) {
    // Deleted meanwhile: its tokens are revoked by whoever deleted it.
    return;
  }
  const reason = current === undefined ? 'client_auth_method_changed' : 'client_key_removed';
  for (const family of bound) {
    if (current?.has(family.clientKeyThumbprint)) continue;
    const revoked = await ctx.clientLifecycle.revokeFamily(family, {
      actor: 'system:client-key-recheck',
      reason,
      detail: { bound_jkt: family.clientKeyThumbprint, by: 'client_key_recheck' },
    });
    if (revoked) result.familiesRevoked++;
  }
}

/**
 * Starts the periodic re-check. Returns the function that stops it. The timer does not keep the
 * process alive; a pass that is still running when the next is due is not started twice.
 */
export function startClientKeyRecheck(ctx: ClientKeyRecheckDeps, intervalSeconds: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    recheckClientKeys(ctx)
      .then((result) => {
        if (result.familiesRevoked > 0) ctx.logger.info({ result }, 'client key re-check revoked sessions');
      })
      .catch((error: unknown) => ctx.logger.warn({ err: error }, 'client key re-check failed'))
      .finally(() => {
        running = false;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
