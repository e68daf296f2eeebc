import { isClientIdMetadataDocumentUrl, OAuthError } from '@gatehouse-oauth/core';
import type { ClientResolverDecorator } from '../clients/client-resolver.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { EventLoopLoad } from './event-loop-load.ts';
import { createUnknownClientBudget, type UnknownClientBudget } from './unknown-client-budget.ts';

/**
 * Admission control for unknown document client_ids (issue #18, finding 10; decision 0045): a
 * client this instance knows (resolved here recently, or its document held in the cache) goes
 * straight to the resolver chain; an unknown `https://` client_id waits for a slot of the budget
 * (unknown-client-budget.ts) first, so that a flood of distinct unknown ids is served a few at a
 * time, after the known clients' work of each event-loop turn, instead of in step with it. Over
 * the budgets, after waiting too long, or while the event loop is overloaded, it is refused at
 * once: 503 `temporarily_unavailable` with `Retry-After: 1`, a load refusal that says nothing
 * about the client and that a legitimate client retries.
 *
 * Only document URLs are admitted this way: pre-registered and DCR client_ids are stored clients,
 * and a client_id that is neither is answered by one indexed read.
 */
export interface UnknownClientAdmissionOptions {
  /** Whether this instance knows the client (the CIMD resolver's memory or cache). */
  knows: (clientId: string) => boolean;
  load: EventLoopLoad;
  maxPending: number;
  maxPendingPerHost: number;
  /** URLs resolved at once while the event loop is not busy. */
  concurrency: number;
  /** … and while it is (known clients' requests are waiting). */
  concurrencyWhenBusy: number;
  /**
   * While the event loop is busy, a finished unknown URL gives its slot back only this long after
   * (0: on the next turn). A resolution costs the server far more than its wall time shows (a new
   * TLS connection per fetch); the pause bounds how many start per second, so unknown ids cannot
   * take more than a small share of a busy core, whatever their number.
   */
  pauseWhenBusyMs?: number;
  maxWaitMs: number;
  clock: () => number;
  metrics?: ServerMetrics;
  /** Runs `release` when the slot is given back. Default: the next turn, or after the busy pause. */
  nextTurn?: (release: () => void) => void;
}

export type AdmissionRefusal =
  | 'cimd_admission_full'
  | 'cimd_admission_host_full'
  | 'cimd_admission_wait'
  | 'cimd_admission_shed';

const DESCRIPTIONS: Record<AdmissionRefusal, string> = {
  cimd_admission_full: 'the server is resolving too many new clients right now; try again',
  cimd_admission_host_full:
    "the server is resolving too many new clients from this client's host right now; try again",
  cimd_admission_wait: 'the server could not resolve this new client in time; try again',
  cimd_admission_shed: 'the server is overloaded; try again',
};

/** A load refusal: no stack (a refusal is an answer, not a fault; decision 0020). */
export function admissionRefusal(reason: AdmissionRefusal): OAuthError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new OAuthError('temporarily_unavailable', {
      reason,
      description: DESCRIPTIONS[reason],
      status: 503,
      headers: { 'retry-after': '1' },
    });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export interface UnknownClientAdmission {
  decorator: ClientResolverDecorator;
  budget: UnknownClientBudget;
  /** Refuses the URLs that waited longer than `maxWaitMs` (run on the load monitor's timer). */
  sweep(): void;
}

export function unknownClientAdmission(options: UnknownClientAdmissionOptions): UnknownClientAdmission {
  const budget = createUnknownClientBudget({
    maxPending: options.maxPending,
    maxPendingPerHost: options.maxPendingPerHost,
    concurrency: () => (options.load.busy() ? options.concurrencyWhenBusy : options.concurrency),
    nextTurn: options.nextTurn ?? slotRelease(options.load, options.pauseWhenBusyMs ?? 0),
  });
  const refuse = (reason: AdmissionRefusal, count = 1): OAuthError => {
    options.metrics?.cimdAdmissionRefusals.inc({ reason }, count);
    return admissionRefusal(reason);
  };

  /** Waits for the URL's slot; rejects with the refusal when there is none. */
  const admitted = (clientId: string, host: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const over = budget.offer(clientId, host, options.clock(), {
        admit: resolve,
        expire: () => reject(admissionRefusal('cimd_admission_wait')),
      });
      if (over !== undefined)
        reject(refuse(over === 'global' ? 'cimd_admission_full' : 'cimd_admission_host_full'));
    });

  const decorator: ClientResolverDecorator = (inner) => ({
    ...inner,
    async resolve(clientId) {
      if (!isClientIdMetadataDocumentUrl(clientId) || options.knows(clientId)) return inner.resolve(clientId);
      const host = URL.parse(clientId)?.hostname;
      if (host === undefined) return inner.resolve(clientId); // the resolver says why it is refused
      if (options.load.overloaded()) throw refuse('cimd_admission_shed');
      await admitted(clientId, host);
      options.metrics?.cimdAdmissions.inc();
      try {
        return await inner.resolve(clientId);
      } finally {
        budget.done(clientId);
      }
    },
  });

  return {
    decorator,
    budget,
    sweep() {
      const expired = budget.expire(options.clock(), options.maxWaitMs);
      if (expired > 0) options.metrics?.cimdAdmissionRefusals.inc({ reason: 'cimd_admission_wait' }, expired);
    },
  };
}

/** When a finished unknown URL's slot is given back: the next turn, or after the pause while busy. */
export function slotRelease(
  load: Pick<EventLoopLoad, 'busy'>,
  pauseWhenBusyMs: number,
): (release: () => void) => void {
  return (release) => {
    if (pauseWhenBusyMs > 0 && load.busy()) setTimeout(release, pauseWhenBusyMs).unref();
    else setImmediate(release);
  };
}
