import {
  APPROVAL_STATES,
  GOVERNANCE_MODES,
  isOAuthError,
  parseClientSelector,
  TRUST_TIERS,
} from '@gatehouse-oauth/core';
import { z } from 'zod';
import { MAX_ACCESS_TOKEN_SECONDS } from './lifetimes-schema.ts';

const DAY = 24 * 3600;

/**
 * What one trust tier allows (issue #13): the operator's policy above what any client document
 * asks for. Unset lists mean "no limit at this level" (every configured resource, every scope the
 * resource offers); unset lifetimes fall back to `lifetimes`.
 */
function tierSchema(defaults: {
  consent: 'remembered' | 'every-time';
  refreshTokenSeconds?: number;
  tokenFamilySeconds?: number;
}) {
  // An unset lifetime falls back to `lifetimes`; a tier with its own default (local) keeps it
  // whatever else the operator sets for the tier.
  const lifetime = (min: number, fallback: number | undefined) =>
    fallback === undefined ? z.int().min(min).optional() : z.int().min(min).default(fallback);
  return z
    .strictObject({
      resources: z
        .array(z.string().min(1))
        .readonly()
        .optional()
        .describe('resource URIs this tier may get tokens for; unset: every configured resource'),
      scopes: z
        .array(z.string().min(1))
        .readonly()
        .optional()
        .describe(
          "scope ceiling: a client's own document can narrow it, never widen it; unset: no tier ceiling",
        ),
      accessTokenSeconds: z
        .int()
        .min(30)
        .max(MAX_ACCESS_TOKEN_SECONDS)
        .optional()
        .describe('access token lifetime; unset: lifetimes'),
      refreshTokenSeconds: lifetime(60, defaults.refreshTokenSeconds).describe(
        'refresh token lifetime; unset: lifetimes',
      ),
      tokenFamilySeconds: lifetime(60, defaults.tokenFamilySeconds).describe(
        'absolute lifetime of one login; unset: lifetimes',
      ),
      refresh: z.boolean().default(true).describe('whether refresh tokens are issued'),
      dpop: z
        .enum(['optional', 'required'])
        .default('optional')
        .describe('required: tokens only for DPoP-bound requests (RFC 9449)'),
      consent: z
        .enum(['remembered', 'every-time'])
        .default(defaults.consent)
        .describe('remembered: asked once per scope set; every-time: asked at every authorization'),
      // MCP-EXT-CC: machine-to-machine tokens carry no user's consent, so no tier has them unless
      // the operator says so (decision 0042).
      clientCredentials: z
        .boolean()
        .default(false)
        .describe(
          'whether confidential clients of this tier may use the client_credentials grant (tokens for the client itself, no user)',
        ),
    })
    .prefault({});
}

export type TierPolicy = z.output<ReturnType<typeof tierSchema>>;

const ruleSchema = z
  .strictObject({
    selector: z
      .string()
      .describe(
        'an exact client_id, a client ID URL pattern (* one segment, ** the rest), host:, domain:, software:, redirect-host:, kind:',
      ),
    state: z.enum(APPROVAL_STATES).optional().describe('approved, pending or blocked'),
    tier: z.enum(TRUST_TIERS).optional().describe('the trust tier it places clients in'),
    owner: z.string().min(1).max(200).optional().describe('who answers for the clients it selects'),
    note: z.string().min(1).max(500).optional().describe('why (shown in the console and the audit)'),
  })
  .superRefine((rule, context) => {
    try {
      parseClientSelector(rule.selector);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      context.addIssue({
        code: 'custom',
        path: ['selector'],
        message: error.description ?? 'invalid selector',
      });
    }
    if (rule.state === undefined && rule.tier === undefined)
      context.addIssue({ code: 'custom', message: 'a rule sets a state, a tier, or both' });
  });

export type ConfiguredRule = z.output<typeof ruleSchema>;

/**
 * Governance (issue #13): admission mode, the trust tiers' policies and the operator's rules from
 * the configuration file (merged with rules stored through the CLI and admin API, each marked by
 * origin). Tier defaults are what a security reviewer would choose: `local` (any program on the
 * machine could be the one asking) asks consent every time and keeps logins short.
 */
export const governanceSchema = z.strictObject({
  mode: z
    .enum(GOVERNANCE_MODES)
    .default('open')
    .describe(
      'open: every client unless a rule blocks it; approval: a client no rule approves waits for the operator; allowlist: only approved clients; report-only: approval decided and audited, not enforced',
    ),
  tiers: z
    .strictObject({
      trusted: tierSchema({ consent: 'remembered' }),
      verifiedDomain: tierSchema({ consent: 'remembered' }),
      selfAsserted: tierSchema({ consent: 'remembered' }),
      local: tierSchema({ consent: 'every-time', refreshTokenSeconds: DAY, tokenFamilySeconds: 7 * DAY }),
    })
    .prefault({})
    .describe('policy per trust tier (trusted, verified-domain, self-asserted, local)'),
  rules: z.array(ruleSchema).readonly().default([]).describe('rules from the configuration file'),
  changePolicy: z
    .strictObject({
      downgrade: z
        .enum(['consent', 'quarantine'])
        .default('consent')
        .describe(
          "a client's document drops a protection (DPoP, PAR, its auth method or signing algorithm weakened, web to native, a new grant type): consent ends its grants so users are asked again; quarantine holds it for the operator",
        ),
      drift: z
        .enum(['hold', 'report'])
        .default('hold')
        .describe(
          "signs that a client's domain changed hands (issue #14): hold puts the client back to pending for the operator; report only audits and counts them",
        ),
    })
    .prefault({})
    .describe('what a changed client metadata document does (docs/governance.md, decision 0031)'),
});

export type GovernanceConfig = z.output<typeof governanceSchema>;
