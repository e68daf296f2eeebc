import { z } from 'zod';

/**
 * The admin HTTP API (docs/admin-api.md, decision 0032). It is never on without a credential:
 * every operation asks for an admin API token (`gatehouse admin-tokens issue`), so with no token
 * issued every call is refused. Where it is served is the only choice here: below the issuer's
 * path on the main handler, and always through `server.admin.fetch` for a listener of its own.
 */
export const adminSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('off: the admin API is served nowhere (its tokens still exist, unused)'),
  mainHandler: z
    .boolean()
    .default(true)
    .describe(
      "serve the admin API on the main handler, below the issuer's path; off: only through server.admin.fetch (a listener of its own)",
    ),
  console: z
    .boolean()
    .default(true)
    .describe(
      'serve the admin console (server-rendered pages at /admin, signed in with a local account holding the admin role) wherever the admin API is served',
    ),
});

export type AdminOptions = z.input<typeof adminSchema>;
