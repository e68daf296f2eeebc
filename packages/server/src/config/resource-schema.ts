import { z } from 'zod';

/** A protected resource (RFC 8707 / RFC 9728) this server issues tokens for. */
export const resourceSchema = z.strictObject({
  uri: z.url().describe('the resource identifier; becomes the access token aud exactly as written'),
  scopes: z.array(z.string().min(1)).readonly().describe('scopes a token for this resource may carry'),
  defaultScopes: z
    .array(z.string().min(1))
    .readonly()
    .optional()
    .describe('scopes granted when a request for this resource names none'),
  name: z.string().optional().describe('shown on the consent page'),
  scopeDescriptions: z
    .record(z.string().min(1), z.string().min(1).max(300))
    .optional()
    .describe(
      'what each scope lets an application do here, in words, shown on the consent and connected apps pages',
    ),
  introspectionClients: z
    .array(z.string().min(1))
    .readonly()
    .optional()
    .describe(
      'pre-registered client_ids that may introspect access tokens whose audience is this resource (decision 0029)',
    ),
});

export type ResourceOptions = z.output<typeof resourceSchema>;
