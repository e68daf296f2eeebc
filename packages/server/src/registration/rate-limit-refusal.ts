import { OAuthError } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import type { RefusalLog } from '../rate-limit/refusal-log.ts';

/** One configured limit: the limiter and the window it refills over (which bounds its audit). */
export interface Limit {
  limiter: RateLimiter;
  windowSeconds: number;
}

/** What a limiter key names; reported in the audit event as `key_kind`. */
export type LimitKeyKind = 'ip' | 'global' | 'software' | 'redirect_host' | 'client' | 'client_source';

export interface Charge {
  limit: Limit;
  kind: LimitKeyKind;
  /** The keyed value (an address, a software_id, a host, a client_id), without the kind prefix. */
  value: string;
  /** The client a `client` or `client_source` key is about, named in its audit event. */
  clientId?: string;
}

/** The audit event a refusal is reported as, and the words of its 429 description. */
export interface RefusalContext {
  type: 'client.registration_rate_limited' | 'client.management_rate_limited';
  what: string;
  /** Added to every event's detail (the remote address, when the transport gave one). */
  detail?: Record<string, unknown>;
}

/**
 * Charges one hit to every key and refuses when any is exhausted: HTTP 429 with `Retry-After`
 * (RFC 6585 §4) and an OAuth-style JSON body. The code is `temporarily_unavailable` (RFC 6749
 * §4.1.2.1's "try again later"), since RFC 7591 §3.2.2 defines none for this; the longest wait
 * among the refusing keys is the one announced. Each refusing key is audited (bounded, RefusalLog).
 */
export async function chargeRateLimits(
  ctx: Pick<ServerContext, 'audit'>,
  log: RefusalLog,
  charges: readonly Charge[],
  now: number,
  context: RefusalContext,
): Promise<void> {
  const refused: Array<{ charge: Charge; retryAfter: number }> = [];
  for (const charge of charges) {
    const decision = charge.limit.limiter.hit(keyOf(charge), now);
    if (!decision.allowed) refused.push({ charge, retryAfter: decision.retryAfterSeconds });
  }
  if (refused.length === 0) return;
  await auditRefusals(ctx, log, refused, now, context);
  throw rateLimited(Math.max(...refused.map((r) => r.retryAfter)), context.what);
}

/**
 * Audits the refusals that open a window (RefusalLog) and counts the rest. Also used for refusals
 * that do not come from a limiter hit (a management key serving its penalty), so they count too.
 */
export async function auditRefusals(
  ctx: Pick<ServerContext, 'audit'>,
  log: RefusalLog,
  refused: ReadonlyArray<{ charge: Charge; retryAfter: number }>,
  now: number,
  context: RefusalContext,
): Promise<void> {
  for (const { charge, retryAfter } of refused) {
    const { audit, previousWindowSuppressed } = log.note(
      keyOf(charge),
      now,
      charge.limit.windowSeconds * 1000,
    );
    if (!audit) continue;
    // The keyed value is stored as is, IP addresses included: the audit log is an operator log,
    // and an address is what an operator needs to act on a flood (docs/decisions/0009-dcr.md §9).
    await ctx.audit({
      type: context.type,
      reason: 'rate_limited',
      ...(charge.clientId === undefined ? {} : { clientId: charge.clientId }),
      detail: {
        key_kind: charge.kind,
        key: charge.value,
        retry_after: retryAfter,
        ...(previousWindowSuppressed === 0 ? {} : { previous_window_suppressed: previousWindowSuppressed }),
        ...context.detail,
      },
    });
  }
}

/** The limiter key: the kind keeps an IP and a software_id of the same spelling apart. */
export function keyOf(charge: Charge): string {
  return `${charge.kind}:${charge.value}`;
}

export function rateLimited(retryAfterSeconds: number, what: string): OAuthError {
  return new OAuthError('temporarily_unavailable', {
    status: 429,
    reason: 'rate_limited',
    description: `too many ${what}; retry after ${retryAfterSeconds} seconds`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
