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
});

export type AtprotoOptions = z.input<typeof atprotoSchema>;
