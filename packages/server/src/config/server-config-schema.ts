import { z } from 'zod';
import { adminSchema } from './admin-schema.ts';
import { atprotoSchema } from './atproto-schema.ts';
import { cimdSchema } from './cimd-schema.ts';
import { dpopSchema } from './dpop-schema.ts';
import { governanceSchema } from './governance-schema.ts';
import { introspectionSchema } from './introspection-schema.ts';
import { enterpriseSchema, workloadIdentitySchema } from './jwt-bearer-schema.ts';
import { lifetimesSchema } from './lifetimes-schema.ts';
import { loginSchema } from './login-schema.ts';
import { operationsSchema } from './operations-schema.ts';
import { parSchema } from './par-schema.ts';
import { registrationSchema } from './registration-schema.ts';
import { resourceSchema } from './resource-schema.ts';
import { themeSchema } from './theme-schema.ts';

/**
 * Every serializable setting of the server, with its default, written once (decision 0024).
 * camelCase, as embedders write options; the CLI maps its snake_case file and variables onto it.
 * What is not configuration (the store, logger, clock, fetchers, subject supplier) is injected
 * beside it (options.ts). Sections default to `{}` through `prefault`, so their own defaults apply.
 */
export const serverConfigSchema = z.strictObject({
  issuer: z
    .url()
    .describe('RFC 8414 issuer: https (http only for loopback development), no query, no fragment'),
  serviceName: z.string().min(1).max(64).default('Gatehouse').describe('product name on the pages'),
  resources: z
    .array(resourceSchema)
    .readonly()
    .default([])
    .describe('protected resources tokens are issued for'),
  defaultResource: z
    .url()
    .optional()
    .describe(
      'resource used when a request names none; without it such tokens are audience-bound to the issuer',
    ),
  lifetimes: lifetimesSchema.prefault({}),
  cimd: cimdSchema.prefault({}),
  registration: registrationSchema.prefault({}),
  par: parSchema.prefault({}),
  dpop: dpopSchema.prefault({}),
  introspection: introspectionSchema.prefault({}),
  login: loginSchema.prefault({}),
  governance: governanceSchema.prefault({}),
  operations: operationsSchema.prefault({}),
  admin: adminSchema.prefault({}),
  profile: z
    .enum(['default', 'atproto', 'mcp'])
    .default('default')
    .describe('defaults for one kind of deployment, applied before these; explicit settings win'),
  atproto: atprotoSchema.prefault({}),
  cors: z
    .boolean()
    .default(false)
    .describe(
      'CORS on PAR, token and revocation for browser-based clients (AT-13); the atproto profile turns it on',
    ),
  clientKeyRecheckSeconds: z
    .int()
    .min(0)
    .max(86400)
    .default(0)
    .describe(
      're-read the documents and keys of key-bound sessions this often and revoke those whose key is gone (AT-9); 0: only at refresh; atproto: 900',
    ),
  clientChangePollMs: z
    .int()
    .min(100)
    .max(60_000)
    .default(1000)
    .describe(
      'how often this instance reads the client change feed, so a client removed on another instance or by the CLI is forgotten here within about this long',
    ),
  strictClientAssertionAudience: z
    .boolean()
    .default(false)
    .describe(
      "accept only the issuer as a client assertion's aud (draft-ietf-oauth-rfc7523bis); off: the token endpoint URL too (RFC 7523 §3)",
    ),
  clientAssertionAlgorithms: z
    .array(z.string().min(1))
    .min(1)
    .readonly()
    .optional()
    .describe(
      'private_key_jwt assertion algorithms accepted and advertised; unset: every asymmetric one (atproto: ES256, AT-9)',
    ),
  enterprise: enterpriseSchema.prefault({}),
  workloadIdentity: workloadIdentitySchema.prefault({}),
  theme: themeSchema.prefault({}),
});

/** What an embedder may write: every key optional where a default exists. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
/** What the server reads: every default applied. */
export type ServerConfig = z.output<typeof serverConfigSchema>;
