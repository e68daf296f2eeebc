import type { Audit } from '../audit/audit-trail.ts';
import type { RateLimitOptions } from '../options.ts';
import { createRefusalLog } from '../rate-limit/refusal-log.ts';
import { sourceKey } from '../registration/source-key.ts';
import type { TokenBucket, TokenBucketStore } from '../store/token-bucket-store.ts';
import { createRecentRefusals } from './recent-refusals.ts';

/**
 * Login throttling (issue #18 finding 3: "40 wrong passwords, then the right one, signed in; about
 * 19 guesses a second from one client"). RFC 9700 §4 and OWASP's Authentication Cheat Sheet
 * ("Protect against automated attacks") ask that password guessing be slowed per account and per
 * source. Two token buckets in the store (store/token-bucket-store.ts, decision 0030), so every
 * instance sharing the store draws from the same ones and N instances do not give N times the
 * guesses:
 *
 * - per account name, normalised (NFKC, lowercase, at most 256 characters), known or not: a burst
 *   of `limit` attempts, then one more every `windowSeconds / limit` (the backoff), and the whole
 *   burst again after a quiet window; a success resets it;
 * - per source address (an IPv4 address or an IPv6 /64, registration/source-key.ts), across
 *   account names, so one sender cannot spray a password over many names; a success gives its
 *   attempt back but does not reset the source, so one known account cannot clear a spray's count.
 *
 * Every attempt is charged before the authenticator runs, in one atomic store operation for both
 * keys, so parallel guesses (the finding's 19 a second), on one instance or spread over several,
 * cannot all pass the check before the first one fails. A refused attempt runs no authenticator
 * at all: a correct password is refused like a wrong one while the name or source is throttled.
 * The caller answers it exactly as a wrong password (no user enumeration: unknown names are
 * charged the same way, and nothing in the page says which).
 *
 * Refusals are audited once per key and window (`login.throttled`, RefusalLog), never per attempt,
 * so a stranger cannot fill the audit table; the log is per instance, so with N instances a key is
 * audited at most N times a window.
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
  }): Promise<{ allowed: true; succeeded: () => Promise<void> } | { allowed: false }>;
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

/** Namespaces of the throttle's keys in the shared token buckets. */
const ACCOUNT_PREFIX = 'login-account:';
const SOURCE_PREFIX = 'login-source:';

interface Keyed {
  kind: 'account' | 'source';
  bucket: TokenBucket;
  windowSeconds: number;
  /** The value named in the audit event. */
  value: string;
}

const bucketOf = (key: string, { limit, windowSeconds }: RateLimitOptions): TokenBucket => ({
  key,
  limit,
  windowMs: windowSeconds * 1000,
});

export function createLoginThrottle(
  ctx: { audit: Audit; buckets: TokenBucketStore },
  options: LoginThrottleOptions,
): LoginThrottle {
  const refusals = createRefusalLog();
  const recent = createRecentRefusals();
  return {
    async attempt({ username, remoteAddress, clientId, now }) {
      const name = accountKey(username);
      const account: Keyed = {
        kind: 'account',
        bucket: bucketOf(ACCOUNT_PREFIX + name, options.perAccount),
        windowSeconds: options.perAccount.windowSeconds,
        value: name,
      };
      const keys = [account];
      if (remoteAddress !== undefined) {
        const source = sourceKey(remoteAddress);
        keys.push({
          kind: 'source',
          bucket: bucketOf(SOURCE_PREFIX + source, options.perSource),
          windowSeconds: options.perSource.windowSeconds,
          value: source,
        });
      }
      // Both keys peeked and charged in one atomic store operation: a refused key must not spend
      // the other's tokens, and no concurrent attempt, on this instance or another, can slip
      // between the check and the charge. A key the store refused a moment ago is refused here
      // without asking it again (./recent-refusals.ts).
      const known = recent.recall(
        keys.map((k) => k.bucket.key),
        now,
      );
      const taken =
        known.length > 0
          ? { taken: false as const, refused: known }
          : await ctx.buckets.take(
              keys.map((k) => k.bucket),
              now,
            );
      if (taken.taken) {
        return {
          allowed: true,
          succeeded: async () => {
            recent.forget(keys.map((k) => k.bucket.key));
            await Promise.all([
              ctx.buckets.reset(account.bucket.key),
              ...keys.filter((k) => k.kind === 'source').map((k) => ctx.buckets.refund(k.bucket, now)),
            ]);
          },
        };
      }
      if (known.length === 0) recent.note(taken.refused, now);
      for (const { key, retryAfterMs } of taken.refused) {
        const k = keys.find((candidate) => candidate.bucket.key === key);
        if (k === undefined) continue;
        const { audit, previousWindowSuppressed } = refusals.note(key, now, k.windowSeconds * 1000);
        if (!audit) continue;
        // An operator log: the name under attack and the source are what an operator acts on.
        await ctx.audit({
          type: 'login.throttled',
          ...(clientId === undefined ? {} : { clientId }),
          reason: 'login_throttled',
          detail: {
            key_kind: k.kind,
            key: k.value,
            retry_after: Math.ceil(retryAfterMs / 1000),
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
