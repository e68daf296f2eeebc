import { z } from 'zod';

/** Switches of the AT Protocol profile (profiles/atproto-profile.ts, docs/atproto.md). */
export const atprotoSchema = z.strictObject({
  loopbackClient: z
    .boolean()
    // The atproto profile turns it on; outside the profile it is an opt-in.
    .default(false)
    .describe('AT-5: http://localhost client_ids are the loopback development client (a virtual document)'),
  allowClientIdPort: z
    .boolean()
    .default(false)
    .describe('DEVELOPMENT ONLY: accept https client_ids with a port (AT-2 forbids them)'),
  // AT-16: permission sets (`include:<nsid>` scopes), decision 0037.
  permissionSets: z
    .enum(['resolve', 'refuse'])
    .default('resolve')
    .describe(
      'AT-16: include:<nsid> scopes are resolved from their Lexicon (resolve) or refused (refuse, atproto_permission_sets_off)',
    ),
  permissionSetTtlSeconds: z
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(3600)
    .describe('AT-16: a resolved permission set is used this long, then resolved again at its next use'),
  plcDirectory: z
    .url({ protocol: /^https$/ })
    .default('https://plc.directory')
    .describe('where did:plc documents are read when resolving a permission set (AT-16)'),
});

export type AtprotoOptions = z.input<typeof atprotoSchema>;
