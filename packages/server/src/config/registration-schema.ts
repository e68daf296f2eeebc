import { z } from 'zod';

/** A burst of `limit`, refilled evenly over `windowSeconds` (rate-limit/rate-limiter.ts). */
export const rateLimitSchema = z.strictObject({
  limit: z.int().min(1).max(1_000_000),
  windowSeconds: z.int().min(1).max(86400),
});

const rateLimit = (limit: number, windowSeconds: number, description: string) =>
  rateLimitSchema.default({ limit, windowSeconds }).describe(description);

/** Registration and management rate limits (DCR-EP-3 MAY, DCR-MG-8 SHOULD; docs/dcr.md). */
export const registrationRateLimitsSchema = z.strictObject({
  perIp: rateLimit(20, 600, 'registrations per remote address (an IPv6 address counts as its /64)'),
  // The ceiling over all sources together: a sender with many addresses (or many /64s) still
  // cannot grow the client table faster than this (issue #18 finding 6).
  global: rateLimit(1000, 3600, 'registrations from all sources together'),
  // software_id is shared by every installation of a product (DCR-MD-9), so this one is wide.
  perSoftware: rateLimit(300, 3600, 'registrations per software_id'),
  perRedirectHost: rateLimit(60, 600, 'registrations per https redirect host'),
  managementFailures: rateLimit(
    10,
    600,
    'failed RFC 7592 management attempts, per source address and per client_id from that source',
  ),
});

/** A trusted software statement issuer (DCR-MD-11); its JWKS is free-form, checked at start-up. */
export const softwareStatementIssuerSchema = z.strictObject({
  iss: z.string().min(1),
  jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).readonly() }),
});

/** Dynamic Client Registration (RFC 7591) and its management (RFC 7592), docs/dcr.md. */
export const registrationSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('serve POST {issuer}/register and advertise it as registration_endpoint'),
  policy: z
    .enum(['open', 'initial_access_token', 'software_statement'])
    .default('open')
    .describe('who may register (DCR-EP-3)'),
  softwareStatementIssuers: z
    .array(softwareStatementIssuerSchema)
    .readonly()
    .default([])
    .describe('issuers trusted to sign software statements, with their public keys'),
  secretLifetimeSeconds: z
    .int()
    .min(0)
    .default(0)
    .describe('lifetime of generated client secrets; 0: never expire'),
  recogniseReRegistration: z
    .boolean()
    .default(true)
    .describe(
      'a public client registering the same software and metadata again is recognised: one shared registration, an installation registration per registrant (docs/dcr.md)',
    ),
  rotateRegistrationAccessToken: z
    .enum(['never', 'on_read', 'on_update'])
    .default('on_update')
    .describe('when the RFC 7592 registration access token is replaced (DCR-MG-4, DCR-MG-8)'),
  selfRegisteredScopeIsLimit: z
    .boolean()
    .default(true)
    .describe(
      'the scope of an open registration limits what the client may request later (RFC 7591 §2); the MCP profile turns it off',
    ),
  devLoopbackUris: z
    .boolean()
    .default(false)
    .describe(
      'development only: http://localhost, 127.0.0.1 and [::1] accepted in logo_uri, client_uri, tos_uri and policy_uri (never jwks_uri)',
    ),
  rateLimits: registrationRateLimitsSchema.prefault({}),
});

export type RateLimitOptions = z.output<typeof rateLimitSchema>;
export type SoftwareStatementIssuer = z.output<typeof softwareStatementIssuerSchema>;
export type RegistrationOptions = z.input<typeof registrationSchema>;
export type RegistrationRateLimits = z.input<typeof registrationRateLimitsSchema>;
export type RegistrationConfig = z.output<typeof registrationSchema>;
