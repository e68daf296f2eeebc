import type { Audit } from '../audit/audit-trail.ts';
import type { RateLimitOptions } from '../options.ts';
import { createRateLimiter, type RateLimiter } from '../rate-limit/rate-limiter.ts';
import { createRefusalLog } from '../rate-limit/refusal-log.ts';
import { sourceKey } from '../registration/source-key.ts';

/**
 * Login throttling (issue #18 finding 3: "40 wrong passwords, then the right one, signed in; about
 * 19 guesses a second from one client"). RFC 9700 §4 and OWASP's Authentication Cheat Sheet
 * ("Protect against automated attacks") ask that password guessing be slowed per account and per
 * source. Two token buckets (rate-limit/rate-limiter.ts, decision 0030):
 *
 * - per account name, normalised (NFKC, lowercase, at most 256 characters), known or not: a burst
 *   of `limit` attempts, then one more every `windowSeconds / limit` (the backoff), and the whole
 *   burst again after a quiet window; a success resets it;
 * - per source address (an IPv4 address or an IPv6 /64, registration/source-key.ts), across
 *   account names, so one sender cannot spray a password over many names; a success gives its
 *   attempt back but does not reset the source, so one known account cannot clear a spray's count.
 *
 * Every attempt is charged before the authenticator runs, synchronously, so parallel guesses
 * (the finding's 19 a second) cannot all pass the check before the first one fails. A refused
 * attempt runs no authenticator at all: a correct password is refused like a wrong one while the
 * name or source is throttled. The caller answers it exactly as a wrong password (no user
 * enumeration: unknown names are charged the same way, and nothing in the page says which).
 *
 * State is per instance (bounded LRU), so with N instances behind a balancer the limits multiply
 * by N (docs/security-model.md). Refusals are audited once per key and window (`login.throttled`,
 * RefusalLog), never per attempt, so a stranger cannot fill the audit table.
 */
export interface LoginThrottle {
  /**
   * Decides whether a login attempt may be checked, charging it if so. `succeeded` must be called
   * when the authenticator accepted it; a failure needs no call (the attempt was charged already).
   */
  attempt(login: {
    username: string;
    remoteAddress: string | undefined;
    /** The client the sign-in is for; none at the connected apps page (pages/account-endpoint.ts). */
    clientId?: string | undefined;
    now: number;
  }): Promise<{ allowed: true; succeeded: () => void } | { allowed: false }>;
}

export interface LoginThrottleOptions {
  perAccount: RateLimitOptions;
  perSource: RateLimitOptions;
}

/** Longer names are cut to this for the key: bounded memory, and a longer name gains nothing. */
const ACCOUNT_KEY_LENGTH = 256;

/** The account key of a submitted name: NFKC and lowercase, so `Alice` and `alice` share one. */
export function accountKey(username: string): string {
  return username.normalize('NFKC').toLowerCase().slice(0, ACCOUNT_KEY_LENGTH);
}

interface Keyed {
  kind: 'account' | 'source';
  limiter: RateLimiter;
  windowSeconds: number;
  key: string;
  /** The value named in the audit event. */
  value: string;
}

export function createLoginThrottle(ctx: { audit: Audit }, options: LoginThrottleOptions): LoginThrottle {
  const perAccount = createRateLimiter(options.perAccount);
  const perSource = createRateLimiter(options.perSource);
  const refusals = createRefusalLog();
  return {
    async attempt({ username, remoteAddress, clientId, now }) {
      const name = accountKey(username);
      const keys: Keyed[] = [
        {
          kind: 'account',
          limiter: perAccount,
          windowSeconds: options.perAccount.windowSeconds,
          key: name,
          value: name,
        },
      ];
      if (remoteAddress !== undefined) {
        const source = sourceKey(remoteAddress);
        keys.push({
          kind: 'source',
          limiter: perSource,
          windowSeconds: options.perSource.windowSeconds,
          key: source,
          value: source,
        });
      }
      // Peek at every key first, then charge them all, with no await in between: a refused key
      // must not spend the other's tokens, and no concurrent attempt can slip between the two.
      const refused = keys.flatMap((k) => {
        const decision = k.limiter.peek(k.key, now);
        return decision.allowed ? [] : [{ ...k, retryAfter: decision.retryAfterSeconds }];
      });
      if (refused.length === 0) {
        for (const k of keys) k.limiter.hit(k.key, now);
        return {
          allowed: true,
          succeeded: () => {
            perAccount.reset(name);
            for (const k of keys) if (k.kind === 'source') k.limiter.refund(k.key);
          },
        };
      }
      for (const k of refused) {
        const { audit, previousWindowSuppressed } = refusals.note(
          `${k.kind}:${k.key}`,
          now,
          k.windowSeconds * 1000,
        );
        if (!audit) continue;
        // An operator log: the name under attack and the source are what an operator acts on.
        await ctx.audit({
          type: 'login.throttled',
          ...(clientId === undefined ? {} : { clientId }),
          reason: 'login_throttled',
          detail: {
            key_kind: k.kind,
            key: k.value,
            retry_after: k.retryAfter,
            ...(previousWindowSuppressed === 0
              ? {}
              : { previous_window_suppressed: previousWindowSuppressed }),
            ...(remoteAddress === undefined ? {} : { remote_address: remoteAddress }),
          },
        });
      }
      return { allowed: false };
    },
  };
}
