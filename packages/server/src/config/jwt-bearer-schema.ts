import { z } from 'zod';

/**
 * Issuers whose JWTs the `urn:ietf:params:oauth:grant-type:jwt-bearer` grant accepts (RFC 7523
 * §2.1): enterprise identity providers issuing Identity Assertion JWT Authorization Grants
 * (MCP-EXT-EMA, `enterprise`) and platforms issuing workload tokens (SEP-1933,
 * `workloadIdentity`). Off until one is configured: the grant is then neither accepted nor
 * advertised (decision 0043).
 */

/** Where an issuer's signing keys are: a JWK Set URL (fetched through the hardened fetcher), or inline. */
const keySource = {
  jwksUri: z
    .url()
    .optional()
    .describe('the issuer JWK Set URL, fetched through the hardened outbound fetcher and cached'),
  jwks: z
    .strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(32) })
    .optional()
    .describe('the issuer public keys, inline (a JWK Set)'),
};

const maxLifetimeSeconds = z
  .int()
  .min(30)
  .max(86_400)
  .describe('assertions whose exp - iat (or exp - now) is longer are refused');

export const identityProviderSchema = z
  .strictObject({
    issuer: z.string().min(1).describe('the IdP issuer identifier, compared exactly with iss'),
    ...keySource,
    accounts: z
      .enum(['existing', 'provision'])
      .default('existing')
      .describe(
        'existing: only accounts that already exist; provision: a new account on first use (audited)',
      ),
    linkByEmail: z
      .boolean()
      .default(false)
      .describe('fall back to the account named by the email claim when no account is linked by sub'),
    maxLifetimeSeconds: maxLifetimeSeconds.default(300),
  })
  .refine((idp) => (idp.jwksUri === undefined) !== (idp.jwks === undefined), {
    message: 'give exactly one of jwks_uri and jwks',
  });

export const enterpriseSchema = z.strictObject({
  identityProviders: z
    .array(identityProviderSchema)
    .readonly()
    .default([])
    .describe('enterprise IdPs whose ID-JAGs are exchanged for tokens'),
});

/** A claim value pattern: exact, or `*` for any run of characters (`repo:acme/*`). */
const claimPattern = z.string().min(1).max(512);

export const workloadRuleSchema = z.strictObject({
  match: z
    .strictObject({
      sub: claimPattern.optional(),
      claims: z.record(z.string().min(1), claimPattern).default({}),
    })
    .describe('sub and other string claims the token must carry; `*` matches any run of characters'),
  clientId: z
    .string()
    .min(1)
    .max(256)
    .regex(/^workload:/, 'must start with workload:')
    .describe('the client the workload is governed as; `{sub}` and `{claim}` are replaced'),
  scope: z.array(z.string().min(1)).readonly().default([]).describe('scopes the workload may ask for'),
});

export const workloadIssuerSchema = z
  .strictObject({
    issuer: z.string().min(1).describe('the platform issuer identifier, compared exactly with iss'),
    ...keySource,
    discovery: z
      .boolean()
      .default(false)
      .describe('read jwks_uri from <issuer>/.well-known/openid-configuration'),
    audience: z.string().min(1).optional().describe('the aud the tokens must carry; unset: this issuer'),
    maxLifetimeSeconds: maxLifetimeSeconds.default(3600),
    rules: z.array(workloadRuleSchema).min(1).readonly(),
  })
  .refine(
    (issuer) =>
      [issuer.jwksUri !== undefined, issuer.jwks !== undefined, issuer.discovery].filter(Boolean).length ===
      1,
    { message: 'give exactly one of jwks_uri, jwks and discovery: true' },
  );

export const workloadIdentitySchema = z.strictObject({
  issuers: z
    .array(workloadIssuerSchema)
    .readonly()
    .default([])
    .describe('platforms whose workload tokens are exchanged, with the rules mapping them to clients'),
});

export type IdentityProviderOptions = z.output<typeof identityProviderSchema>;
export type WorkloadIssuerOptions = z.output<typeof workloadIssuerSchema>;
export type WorkloadRule = z.output<typeof workloadRuleSchema>;
