import { z } from 'zod';

/** Client ID Metadata Documents: https client_ids (docs/cimd.md). */
export const cimdSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('accept https client_ids as Client ID Metadata Documents (advertised in the metadata)'),
  minTtlSeconds: z
    .int()
    .min(0)
    .max(86400)
    .default(300)
    .describe("lower bound on a fetched document's HTTP freshness (CIMD-CACHE-2)"),
  maxTtlSeconds: z
    .int()
    .min(60)
    .max(7 * 86400)
    .default(86400)
    .describe("upper bound on a fetched document's HTTP freshness (CIMD-CACHE-2)"),
  refreshCooldownSeconds: z
    .int()
    .min(0)
    .max(3600)
    .default(30)
    .describe('a redirect_uri missing from the cached document re-fetches it, at most this often per client'),
  fetchesPerSecondPerHost: z
    .number()
    .min(0.1)
    .max(1000)
    .default(5)
    .describe('the fetch governor: outbound document fetches per second to one host'),
  fetchesPerSecond: z
    .number()
    .min(1)
    .max(10_000)
    .default(50)
    .describe('the fetch governor: outbound document fetches per second in all'),
  // Decision 0031: superseded by governance.changePolicy, which decides per field and direction.
  // Still accepted so existing files start; `keep` is refused, the table has no "ignore everything".
  onChange: z
    .enum(['keep', 'reconsent', 'revoke'])
    .refine((value) => value !== 'keep', {
      message:
        'keep is no longer offered: document changes follow the governance change policy (decision 0031)',
    })
    .optional()
    .describe(
      'deprecated, no effect (decision 0031): reconsent and revoke are accepted, keep is refused; see governance.changePolicy',
    ),
  allowQuery: z.boolean().default(false).describe('CIMD-URL-6: accept client ID URLs with a query'),
  missingAuthMethod: z
    .enum(['none', 'reject'])
    .default('none')
    .describe('CIMD-DOC-10: a document without token_endpoint_auth_method is a public client, or refused'),
  // Issue #14: the fetch log and ownership drift (docs/document-history.md, decision 0034).
  driftGoneSeconds: z
    .int()
    .min(3600)
    .max(365 * 86400)
    .default(7 * 86400)
    .describe(
      'a document gone (404, 410, unreachable) at least this long that comes back with other keys or redirect URIs is ownership drift',
    ),
  fetchLogEntries: z
    .int()
    .min(10)
    .max(100_000)
    .default(500)
    .describe('the fetch log keeps at most this many of the newest fetches of each client'),
  fetchLogDays: z
    .int()
    .min(1)
    .max(3650)
    .default(90)
    .describe('the fetch log keeps fetches at most this many days'),
  // Decision 0035: RFC 5861's stale-if-error, bounded; only origin failures qualify, never a refusal.
  staleIfErrorSeconds: z
    .int()
    .min(0)
    .max(7 * 86400)
    .default(86400)
    .describe(
      'when the origin fails (network error, 5xx, timeout), the last good document keeps serving this long past its expiry; 0: never',
    ),
  revalidateUsedWithinDays: z
    .int()
    .min(0)
    .max(365)
    .default(7)
    .describe(
      'documents of clients that obtained tokens within this many days are revalidated in the background before they expire; 0: off',
    ),
  // Issue #18, finding 10 (decision 0045): admission control for unknown document client_ids.
  unknownPending: z
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .describe(
      'unknown document client_ids (not cached, not resolved here) waiting or being resolved at once, in all; more are refused (503, cimd_admission_full)',
    ),
  unknownPendingPerHost: z
    .int()
    .min(1)
    .max(100_000)
    .default(50)
    .describe('… and per host (503, cimd_admission_host_full)'),
  unknownConcurrency: z
    .int()
    .min(1)
    .max(10_000)
    .default(8)
    .describe('unknown document client_ids resolved at once while the event loop is not busy'),
  unknownConcurrencyWhenBusy: z
    .int()
    .min(1)
    .max(10_000)
    .default(1)
    .describe(
      '… while it is busy (at least half of the last 250 ms): known clients are served first, unknown ones a few per event-loop turn',
    ),
  unknownPauseWhenBusyMs: z
    .int()
    .min(0)
    .max(10_000)
    .default(20)
    .describe(
      '… and each of those slots is given back this long after its resolution ends, so a flood of unknown ids takes a bounded share of a busy core (with the default, at most ~50 start a second); `0`: on the next event-loop turn',
    ),
  unknownWaitMs: z
    .int()
    .min(100)
    .max(60_000)
    .default(2000)
    .describe(
      'an unknown document client_id that waited this long for its turn is refused (503, cimd_admission_wait)',
    ),
  shedEventLoopDelayMs: z
    .int()
    .min(0)
    .max(60_000)
    .default(250)
    .describe(
      'while the mean event-loop delay of the last 250 ms is above this, unknown document client_ids are refused at once (503, cimd_admission_shed); 0: never',
    ),
});

export type CimdOptions = z.input<typeof cimdSchema>;
export type CimdSettings = z.output<typeof cimdSchema>;

/** The defaults, for the parts (document cache, fetch governor) that can be built alone. */
export const cimdDefaults: CimdSettings = cimdSchema.parse({});
