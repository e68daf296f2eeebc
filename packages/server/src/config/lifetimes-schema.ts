import { z } from 'zod';

const DAY = 24 * 3600;

/** The longest an access token can live, in any configuration (lifetimes and every tier). */
export const MAX_ACCESS_TOKEN_SECONDS = DAY;
const seconds = () => z.int();

/**
 * Token, code and session lifetimes in seconds. Each default is written here once; the atproto
 * profile (profiles/atproto-profile.ts) fills in its own before these apply (AT-10).
 */
export const lifetimesSchema = z.strictObject({
  accessTokenSeconds: seconds()
    .min(30)
    .max(MAX_ACCESS_TOKEN_SECONDS)
    .default(300)
    .describe('RFC 9068 access token lifetime; short, because a JWT is verified without calling us (MCP-11)'),
  refreshTokenSeconds: seconds()
    .min(60)
    .default(14 * DAY)
    .describe('lifetime of each refresh token; rotation issues a new one each time'),
  tokenFamilySeconds: seconds()
    .min(60)
    .default(90 * DAY)
    .describe('absolute lifetime of a token family (one login): refreshing never extends it'),
  confidentialRefreshTokenSeconds: seconds()
    .min(60)
    .optional()
    .describe(
      'refreshTokenSeconds for clients that authenticate at the token endpoint; unset: refreshTokenSeconds (AT-10 allows them up to 180 days)',
    ),
  confidentialTokenFamilySeconds: seconds()
    .min(60)
    .optional()
    .describe('tokenFamilySeconds for those clients (AT-10: may be unlimited); unset: tokenFamilySeconds'),
  refreshGraceSeconds: seconds()
    .min(0)
    .max(300)
    .default(10)
    .describe(
      're-presenting a just-rotated refresh token within this window is a parallel refresh, not theft',
    ),
  refreshReuseCount: z
    .int()
    .min(0)
    .max(100)
    .default(1)
    .describe(
      'how many times a rotated refresh token (or a redeemed code) presented again within refreshGraceSeconds gets the same answer again (decision 0036); beyond it, refused, the session kept',
    ),
  authorizationCodeSeconds: seconds().min(10).max(600).default(60).describe('authorization code lifetime'),
  authorizationRequestSeconds: seconds()
    .min(60)
    .max(3600)
    .default(600)
    .describe('how long a user has to log in and consent'),
  loginSessionSeconds: seconds()
    .min(60)
    .default(8 * 3600)
    .describe('browser login session'),
  pushedRequestSeconds: seconds()
    .min(5)
    .max(600)
    .default(60)
    .describe('how long a PAR request_uri may be used (RFC 9126 §2.2: short-lived; single use anyway)'),
});

export type Lifetimes = z.output<typeof lifetimesSchema>;

/** Every lifetime default, from the schema (the public `defaultLifetimes` of earlier releases). */
export const defaultLifetimes: Lifetimes = lifetimesSchema.parse({});
