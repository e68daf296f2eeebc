import { z } from 'zod';

/**
 * Who may call the RFC 7662 introspection endpoint besides the resources' own
 * `introspectionClients` (decision 0029). §2.1 requires the caller be authorized, §4 that the server
 * prevent token scanning: by default no client is, so an open registration grants nothing here.
 */
export const introspectionSchema = z.strictObject({
  clients: z
    .array(z.string().min(1))
    .readonly()
    .default([])
    .describe(
      'pre-registered client_ids that may introspect any token this server issued, refresh tokens included (resource servers)',
    ),
});
