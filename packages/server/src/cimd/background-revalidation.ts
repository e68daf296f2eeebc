/**
 * Background revalidation of Client ID Metadata Documents (issue #14, item 5): the documents of
 * clients used lately (they obtained tokens within `cimd.revalidateUsedWithinDays`) are revalidated
 * before their lifetime runs out, so a user of an active client never waits on a fetch, and an
 * origin outage is met with a version as recent as possible (stale-if-error, decision 0035).
 *
 * Each pass lists the used document clients (store: documentFreshness.usedClients) and, for each,
 * reads the version recorded in the store: the shared second level says when it was last confirmed
 * and until when it is fresh, whichever instance fetched it. A version is due once less than its
 * lead is left (a fifth to three tenths of its lifetime, at random per pass, and never less than two
 * passes); a due one is revalidated through the resolver (a conditional request through the cache,
 * within the fetch governor's budgets), which records the new freshness at once.
 *
 * Duplicates across instances: every instance runs the pass on its own timer, jittered, and acts on
 * the stored version only, which the first instance to revalidate moves on before the others read
 * it. Two instances fetch the same document only when their passes reach it within the same fetch,
 * so at most one fetch per instance per lifetime, the bound without this job, and rarely more than one
 * in all. A blocked client (by its client_id) is not fetched; an evicted one waits for its next use.
 * Fetches run one at a time; a governor refusal skips that host (or, for the global budget, the rest
 * of the pass) until the next pass, so user requests keep the budget.
 */
import type { Logger } from 'pino';
import type { DocumentResolution } from '../clients/client-resolution.ts';
import type { ClientGovernance } from '../governance/client-governance.ts';
import type { Store } from '../store/store.ts';
import { sharedOf } from './cimd-client-resolver.ts';

export interface BackgroundRevalidationDeps {
  documents: Pick<DocumentResolution, 'revalidate'>;
  store: Pick<Store, 'clientDocuments' | 'documentFreshness'>;
  governance: Pick<ClientGovernance, 'current'>;
  clock: () => number;
  /** Documents of clients used within this long are kept fresh. */
  usedWithinMs: number;
  /** Between passes, jittered by ±20 %. Default 60 s. */
  intervalMs?: number;
  /** [0, 1); the jitter of the timer and of each pass's lead. Default Math.random. */
  random?: () => number;
  logger?: Pick<Logger, 'warn' | 'debug'>;
  /** Called with each revalidation's outcome (metrics). */
  onOutcome?: (outcome: RevalidationOutcome) => void;
  /** Whether the timer runs passes (off: only `pass()` does). Default true. */
  timer?: boolean;
}

/** What became of one due document: confirmed by its origin, failed, or left for the next pass. */
export type RevalidationOutcome = 'revalidated' | 'failed' | 'deferred';

export interface RevalidationPass {
  /** Used document clients looked at. */
  considered: number;
  /** Of those, the ones whose stored version was due. */
  due: number;
  revalidated: number;
  failed: number;
  /** Due, but left for the next pass: blocked, evicted, or the governor's budget spent. */
  deferred: number;
}

export interface BackgroundRevalidation {
  /** One pass now (the timer runs the same). Passes never overlap: a second call joins the first. */
  pass(): Promise<RevalidationPass>;
  stop(): void;
}

export const DEFAULT_REVALIDATION_INTERVAL_MS = 60_000;
/** Used clients read per store call. */
const PAGE_SIZE = 500;
/** The reasons (as the resolver answers them) of the governor's load shedding. */
const HOST_BUDGET = new Set(['cimd_host_rate', 'cimd_host_concurrency']);
const GLOBAL_BUDGET = new Set(['cimd_global_rate', 'cimd_global_concurrency', 'cimd_queue_full']);

/** Pure: when a version confirmed at `fetchedAt`, fresh until `expiresAt`, is due for revalidation. */
export function revalidationDueAt(
  fetchedAt: number,
  expiresAt: number,
  intervalMs: number,
  random: number,
): number {
  const lead = Math.max(2 * intervalMs, (expiresAt - fetchedAt) * (0.2 + 0.1 * random));
  return expiresAt - lead;
}

export function startBackgroundRevalidation(deps: BackgroundRevalidationDeps): BackgroundRevalidation {
  const interval = deps.intervalMs ?? DEFAULT_REVALIDATION_INTERVAL_MS;
  const random = deps.random ?? Math.random;
  let running: Promise<RevalidationPass> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function revalidateDue(
    clientId: string,
    now: number,
    jitter: number,
    skip: Set<string>,
  ): Promise<RevalidationOutcome | 'not_due'> {
    const latest = await deps.store.clientDocuments.latest(clientId);
    const shared = latest === undefined ? undefined : sharedOf(latest);
    // Nothing recorded with its freshness: the first use fetches it, as always.
    if (latest === undefined || shared === undefined) return 'not_due';
    if (now < revalidationDueAt(shared.fetchedAt, shared.expiresAt, interval, jitter)) return 'not_due';
    const host = URL.parse(clientId)?.hostname ?? '';
    if (skip.has(host)) return 'deferred';
    if ((await deps.governance.current()).decideBeforeFetch(clientId)?.refusal === 'client_blocked')
      return 'deferred';
    const evictedAt = (await deps.store.documentFreshness.get(clientId))?.evictedAt;
    if (evictedAt !== undefined && latest.lastSeenAt <= evictedAt) return 'deferred';
    try {
      const document = (await deps.documents.revalidate(clientId))?.document;
      if (document === undefined || document.originFailure !== undefined) return 'failed';
      // Not fetched again within the cache's cooldown: the next pass tries.
      return document.fetchedAt >= now ? 'revalidated' : 'deferred';
    } catch (error) {
      const reason = (error as { reason?: unknown }).reason;
      if (typeof reason === 'string' && GLOBAL_BUDGET.has(reason)) throw new BudgetSpent();
      if (typeof reason === 'string' && HOST_BUDGET.has(reason)) {
        skip.add(host);
        return 'deferred';
      }
      // Refused (a 404, an invalid document): audited by the resolver; the next use fails as it would.
      return 'failed';
    }
  }

  async function runPass(): Promise<RevalidationPass> {
    const now = deps.clock();
    const jitter = random();
    const result: RevalidationPass = { considered: 0, due: 0, revalidated: 0, failed: 0, deferred: 0 };
    const skip = new Set<string>();
    // Off (`cimd.revalidateUsedWithinDays` 0): no client counts as used.
    if (deps.usedWithinMs <= 0) return result;
    let after: string | undefined;
    try {
      for (;;) {
        const page = await deps.store.documentFreshness.usedClients({
          since: now - deps.usedWithinMs,
          limit: PAGE_SIZE,
          ...(after === undefined ? {} : { after }),
        });
        for (const clientId of page) {
          if (stopped) return result;
          result.considered++;
          const outcome = await revalidateDue(clientId, now, jitter, skip);
          if (outcome === 'not_due') continue;
          result.due++;
          result[outcome]++;
          deps.onOutcome?.(outcome);
        }
        if (page.length < PAGE_SIZE) break;
        after = page.at(-1);
      }
    } catch (error) {
      if (!(error instanceof BudgetSpent)) throw error;
      deps.onOutcome?.('deferred');
      result.due++;
      result.deferred++;
    }
    return result;
  }

  function pass(): Promise<RevalidationPass> {
    running ??= runPass().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        pass()
          .then((result) => {
            if (result.due > 0) deps.logger?.debug({ ...result }, 'background revalidation of documents');
          })
          .catch((error: unknown) => deps.logger?.warn({ err: error }, 'background revalidation failed'))
          .finally(schedule);
      },
      interval * (0.8 + 0.4 * random()),
    );
    timer.unref();
  }

  if (deps.timer !== false) schedule();
  return {
    pass,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** The governor's global budget is spent: the rest of the pass waits for the next one. */
class BudgetSpent extends Error {}
