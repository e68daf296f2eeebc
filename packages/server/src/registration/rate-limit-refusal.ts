import { OAuthError } from '@gatehouse/core';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';

/**
 * Charges one hit to every key and refuses when any is exhausted: HTTP 429 with `Retry-After`
 * (RFC 6585 §4) and an OAuth-style JSON body. The code is `temporarily_unavailable` (RFC 6749
 * §4.1.2.1's "try again later"), since RFC 7591 §3.2.2 defines none for this; the longest wait
 * among the refusing keys is the one announced.
 */
export function chargeRateLimits(
  charges: ReadonlyArray<{ limiter: RateLimiter; key: string }>,
  now: number,
  what: string,
): void {
  let retryAfter = 0;
  for (const { limiter, key } of charges) {
    const decision = limiter.hit(key, now);
    if (!decision.allowed) retryAfter = Math.max(retryAfter, decision.retryAfterSeconds);
  }
  if (retryAfter > 0) throw rateLimited(retryAfter, what);
}

export function rateLimited(retryAfterSeconds: number, what: string): OAuthError {
  return new OAuthError('temporarily_unavailable', {
    status: 429,
    reason: 'rate_limited',
    description: `too many ${what}; retry after ${retryAfterSeconds} seconds`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
