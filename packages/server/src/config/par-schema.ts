import { z } from 'zod';

/** Pushed Authorization Requests, RFC 9126 (docs/decisions/0010-par.md). */
export const parSchema = z.strictObject({
  required: z
    .boolean()
    .default(false)
    .describe(
      'every authorization request must be pushed first (RFC 9126 §5); per client: require_pushed_authorization_requests. atproto: always (AT-6)',
    ),
});

export type ParOptions = z.input<typeof parSchema>;
