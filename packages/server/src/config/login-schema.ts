import { z } from 'zod';
import { rateLimitSchema } from './registration-schema.ts';

const failures = (limit: number, windowSeconds: number, description: string) =>
  rateLimitSchema.default({ limit, windowSeconds }).describe(description);

/**
 * Login throttling (issue #18 finding 3; RFC 9700 §4 and OWASP's Authentication Cheat Sheet,
 * "Protect against automated attacks"): failed sign-ins per account name and per source address,
 * each a token bucket in the store, shared by every instance on it (store/token-bucket-store.ts,
 * decision 0030), users/login-throttle.ts.
 */
export const loginSchema = z.strictObject({
  throttle: z
    .strictObject({
      perAccount: failures(
        5,
        900,
        'failed sign-ins per account name (known or not), refilled over the window; a success resets it',
      ),
      perSource: failures(
        20,
        900,
        'failed sign-ins per remote address (an IPv6 address counts as its /64), across account names',
      ),
    })
    .prefault({}),
});
